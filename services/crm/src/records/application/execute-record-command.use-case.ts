import { randomUUID } from 'node:crypto';
import { DomainError } from '@cdp/contracts';
import {
  decide,
  evolve,
  type DecisionContext,
  type RecordCommand,
  type RecordEvent,
  type RecordState,
} from '../domain/crm-record';
import { invalidField } from '../domain/field-values';
import {
  FIELD_SPECS,
  ID_PREFIX,
  type AggregateType,
  type JsonObject,
  type JsonValue,
} from '../domain/record-types';
import {
  ConcurrentAppendError,
  type Actor,
  type DecisionInputs,
  type RecordStore,
  type StoredEvent,
} from './record-store.port';

export interface ExecuteRecordCommand {
  readonly workspaceId: string;
  readonly type: AggregateType;
  /** Absent for a create: a new id is minted. */
  readonly id?: string;
  readonly command: RecordCommand;
  /** The version the caller last saw (body `expectedVersion` or `If-Match`): else 409. */
  readonly expectedVersion?: number;
  readonly actor: Actor;
}

export interface CommandResult {
  readonly state: RecordState;
  readonly events: readonly StoredEvent[];
}

/** Attempts when no expectedVersion was given and a concurrent writer won the version. */
const MAX_ATTEMPTS = 12;

export function newRecordId(type: AggregateType): string {
  return `${ID_PREFIX[type]}_${randomUUID().replace(/-/g, '')}`;
}

export function versionConflict(state: RecordState, expected: number): DomainError {
  return new DomainError(
    'conflict',
    'crm.version_conflict',
    `${state.type} ${state.id} is at version ${state.version}, not ${expected}: reload and retry`,
    { expectedVersion: expected, currentVersion: state.version },
  );
}

/**
 * Load → decide → append, with optimistic concurrency: a stale expectedVersion is a 409 at
 * once; a version clash at append (unique (aggregate_id, version)) is a 409 when the caller
 * named a version, and otherwise a transparent retry on the fresh state (the command is
 * re-decided, so its rules are checked against what won).
 */
export class ExecuteRecordCommandUseCase {
  constructor(
    private readonly store: RecordStore,
    private readonly inputs: DecisionInputs,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async execute(input: ExecuteRecordCommand): Promise<CommandResult> {
    const id = input.id ?? newRecordId(input.type);
    for (let attempt = 1; ; attempt++) {
      const state = await this.store.load(input.workspaceId, input.type, id);
      if (input.expectedVersion !== undefined && state.version !== input.expectedVersion) {
        if (state.version === 0)
          throw new DomainError('not_found', 'crm.not_found', `${input.type} ${id} not found`);
        throw versionConflict(state, input.expectedVersion);
      }
      const now = this.clock().toISOString();
      const context = await this.contextFor(input, state, now);
      const decided = decide(state, input.command, context);
      if (decided.length === 0) return { state, events: [] };
      await this.checkReferences(input.workspaceId, input.type, decided);
      await this.checkRemovedStages(input.workspaceId, state, decided);
      const stored = decided.map((event, index): StoredEvent => ({
        ...event,
        workspaceId: input.workspaceId,
        aggregateType: input.type,
        aggregateId: id,
        version: state.version + index + 1,
        actor: input.actor,
        occurredAt: now,
      }));
      const after = stored.reduce((s, e) => evolve(s, e, e.occurredAt), state);
      try {
        await this.store.append(input.workspaceId, state, after, stored);
        return { state: after, events: stored };
      } catch (error) {
        if (!(error instanceof ConcurrentAppendError)) throw error;
        if (input.expectedVersion !== undefined) {
          const fresh = await this.store.load(input.workspaceId, input.type, id);
          throw versionConflict(fresh, input.expectedVersion);
        }
        if (attempt >= MAX_ATTEMPTS)
          throw new DomainError(
            'conflict',
            'crm.version_conflict',
            `${input.type} ${id} is changing too fast: retry`,
            { currentVersion: state.version },
          );
        // Jittered pause: writers that collided do not collide again in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 4 * attempt));
      }
    }
  }

  private async contextFor(
    input: ExecuteRecordCommand,
    state: RecordState,
    now: string,
  ): Promise<DecisionContext> {
    const customFields = await this.inputs.customFields(input.workspaceId);
    if (input.type !== 'deal') return { now, customFields };
    const command = input.command;
    const pipelineId =
      command.kind === 'create' ? command.fields.pipelineId : state.fields.pipelineId;
    if (typeof pipelineId !== 'string') return { now, customFields };
    const pipeline = await this.inputs.pipeline(input.workspaceId, pipelineId);
    return pipeline ? { now, customFields, pipeline } : { now, customFields };
  }

  /**
   * A stage that live deals are in cannot be removed from their pipeline (they would point to
   * nowhere and leave the reports): move or archive them first.
   */
  private async checkRemovedStages(
    workspaceId: string,
    state: RecordState,
    events: readonly RecordEvent[],
  ): Promise<void> {
    if (state.type !== 'pipeline') return;
    const stagesOf = (value: JsonValue | undefined): string[] =>
      Array.isArray(value)
        ? (value as readonly JsonValue[]).map((s) => (s as { id?: string }).id ?? '')
        : [];
    for (const event of events) {
      const fields = event.payload.fields as JsonObject | undefined;
      if (event.type !== 'updated' || fields?.stages === undefined) continue;
      const kept = new Set(stagesOf(fields.stages));
      const removed = stagesOf(state.fields.stages).filter((id) => !kept.has(id));
      if (removed.length === 0) continue;
      const deals = await this.inputs.dealsInStages(workspaceId, state.id, removed);
      if (deals > 0)
        throw new DomainError(
          'conflict',
          'pipeline.stage_in_use',
          `${deals} deal(s) are in the removed stage(s) ${removed.join(', ')}: move them first`,
          { stages: removed, deals },
        );
    }
  }

  /**
   * Every id a change writes must name a record of the same workspace: a reference never
   * reaches across tenants, and a typo is a 400 rather than a dangling link.
   */
  private async checkReferences(
    workspaceId: string,
    type: AggregateType,
    events: readonly RecordEvent[],
  ): Promise<void> {
    const wanted = new Map<AggregateType, Map<string, string>>();
    const want = (target: AggregateType, id: string, field: string): void => {
      const ids = wanted.get(target) ?? new Map<string, string>();
      ids.set(id, field);
      wanted.set(target, ids);
    };
    for (const event of events) {
      const fields = event.payload.fields;
      if (fields === undefined || fields === null || typeof fields !== 'object') continue;
      for (const [name, value] of Object.entries(fields as JsonObject)) {
        if (value === null) continue;
        const spec = FIELD_SPECS[type].find((f) => f.name === name);
        if (!spec) continue;
        if (spec.type.kind === 'ref' && typeof value === 'string')
          want(spec.type.target, value, name);
        if (spec.type.kind === 'refs' && Array.isArray(value))
          for (const id of value as readonly JsonValue[])
            if (typeof id === 'string') want(spec.type.target, id, name);
        if (spec.type.kind === 'targets' && Array.isArray(value))
          for (const target of value as readonly JsonValue[]) {
            const t = target as { type?: AggregateType; id?: string };
            if (t.type && t.id) want(t.type, t.id, name);
          }
      }
    }
    for (const [target, ids] of wanted) {
      if (target === 'pipeline') continue; // checked by the decision (stages)
      const found = await this.inputs.existing(workspaceId, target, [...ids.keys()]);
      for (const [id, field] of ids)
        if (!found.has(id)) throw invalidField(field, `${target} ${id} not found`);
    }
  }
}
