import { DomainError } from '@cdp/contracts';
import { type RecordCommand, type RecordState } from '../domain/crm-record';
import { recordHistory, type HistoryEntry } from '../domain/record-history';
import { type AggregateType } from '../domain/record-types';
import { type ListPlan } from './record-list-query';
import {
  ExecuteRecordCommandUseCase,
  type CommandResult,
  type ExecuteRecordCommand,
} from './execute-record-command.use-case';
import { type Actor, type DecisionInputs, type RecordStore } from './record-store.port';

export interface RecordReadModel<V> {
  /** The view of a state as `get` would read it after the append (no round trip). */
  fromState(state: RecordState): V;
  get(workspaceId: string, type: AggregateType, id: string): Promise<V | undefined>;
  list(
    workspaceId: string,
    type: AggregateType,
    plan: ListPlan,
  ): Promise<{ data: V[]; nextCursor: string | null }>;
}

export type CommandObserver = (aggregate: AggregateType, outcome: string, seconds: number) => void;

/** What the HTTP and import adapters call: commands (then the fresh view) and queries. */
export class RecordsService<V extends { readonly version: number }> {
  private readonly commands: ExecuteRecordCommandUseCase;

  constructor(
    readonly store: RecordStore,
    readonly inputs: DecisionInputs,
    private readonly readModel: RecordReadModel<V>,
    /** Called after events were appended (kicks the outbox relay). */
    private readonly onAppended: () => void = () => undefined,
    /** Told the duration and outcome of every command (metrics). */
    private readonly observe: CommandObserver = () => undefined,
  ) {
    this.commands = new ExecuteRecordCommandUseCase(store, inputs);
  }

  async execute(input: ExecuteRecordCommand): Promise<CommandResult> {
    const started = performance.now();
    const done = (outcome: string): void =>
      this.observe(input.type, outcome, (performance.now() - started) / 1000);
    try {
      const result = await this.commands.execute(input);
      if (result.events.length > 0) this.onAppended();
      done(result.events.length > 0 ? 'applied' : 'unchanged');
      return result;
    } catch (error) {
      done(error instanceof DomainError ? error.code : 'error');
      throw error;
    }
  }

  /**
   * Runs a command and returns the record as the read model now shows it (read-your-writes: the
   * row was projected in the append's statement; the view is built from the same state).
   */
  async executeAndView(
    workspaceId: string,
    type: AggregateType,
    id: string | undefined,
    command: RecordCommand,
    actor: Actor,
    expectedVersion?: number,
  ): Promise<V> {
    const result = await this.execute({
      workspaceId,
      type,
      command,
      actor,
      ...(id === undefined ? {} : { id }),
      ...(expectedVersion === undefined ? {} : { expectedVersion }),
    });
    return this.readModel.fromState(result.state);
  }

  async get(workspaceId: string, type: AggregateType, id: string): Promise<V> {
    const view = await this.readModel.get(workspaceId, type, id);
    if (!view) throw new DomainError('not_found', 'crm.not_found', `${type} ${id} not found`);
    return view;
  }

  list(
    workspaceId: string,
    type: AggregateType,
    plan: ListPlan,
  ): Promise<{ data: V[]; nextCursor: string | null }> {
    return this.readModel.list(workspaceId, type, plan);
  }

  async history(
    workspaceId: string,
    type: AggregateType,
    id: string,
  ): Promise<HistoryEntry<Actor>[]> {
    const events = await this.store.history(workspaceId, type, id);
    if (events.length === 0)
      throw new DomainError('not_found', 'crm.not_found', `${type} ${id} not found`);
    return recordHistory(type, id, events);
  }
}
