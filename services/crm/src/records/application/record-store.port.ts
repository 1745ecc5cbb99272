import { type RecordEvent, type RecordState } from '../domain/crm-record';
import { type CustomFieldDefinition } from '../domain/custom-fields';
import { type Stage } from '../domain/field-values';
import { type AggregateType } from '../domain/record-types';

/** Who caused a change and from where (stored with every event; the history API shows it). */
export interface Actor {
  readonly type: 'api_key' | 'user' | 'system' | 'integration';
  readonly id: string;
  readonly displayName?: string;
  /** From where: the channel and, for HTTP calls, the client's address and user agent. */
  readonly via: {
    readonly channel: 'api' | 'import' | 'cdp' | 'system';
    readonly ip?: string;
    readonly userAgent?: string;
    readonly requestId?: string;
  };
}

/** An event as stored in crm.events. */
export interface StoredEvent extends RecordEvent {
  readonly workspaceId: string;
  readonly aggregateType: AggregateType;
  readonly aggregateId: string;
  readonly version: number;
  readonly actor: Actor;
  readonly occurredAt: string;
}

/** Raised by `append` when another writer appended the same version first. */
export class ConcurrentAppendError extends Error {
  constructor(readonly aggregateId: string) {
    super(`concurrent append to ${aggregateId}`);
    this.name = 'ConcurrentAppendError';
  }
}

/**
 * The event store with its projections: `append` writes the events, the read-model row of the
 * new state, the deal stage history and the outbox rows in ONE transaction, so a read after a
 * write sees it (read-your-writes) and nothing is published that was not committed.
 */
export interface RecordStore {
  load(workspaceId: string, type: AggregateType, id: string): Promise<RecordState>;
  /** Appends `events` after `before.version`; throws ConcurrentAppendError on a version clash. */
  append(
    workspaceId: string,
    before: RecordState,
    after: RecordState,
    events: readonly StoredEvent[],
  ): Promise<void>;
  history(workspaceId: string, type: AggregateType, id: string): Promise<StoredEvent[]>;
}

/** What decisions read besides the aggregate: custom fields, pipelines, references. */
export interface DecisionInputs {
  customFields(workspaceId: string): Promise<readonly CustomFieldDefinition[]>;
  pipeline(
    workspaceId: string,
    id: string,
  ): Promise<{ readonly id: string; readonly stages: readonly Stage[] } | undefined>;
  /** Live deals of a pipeline whose stage is one of `stageIds`. */
  dealsInStages(
    workspaceId: string,
    pipelineId: string,
    stageIds: readonly string[],
  ): Promise<number>;
  /** The ids among `ids` that name live-or-archived records of `type` in the workspace. */
  existing(workspaceId: string, type: AggregateType, ids: readonly string[]): Promise<Set<string>>;
}
