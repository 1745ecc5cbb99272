import type { DataSource, EntityManager } from 'typeorm';
import { DomainError, eventSubject } from '@cdp/contracts';
import { emptyState, evolve, type RecordEventType, type RecordState } from '../domain/crm-record';
import { type AggregateType, type JsonObject } from '../domain/record-types';
import {
  ConcurrentAppendError,
  type Actor,
  type RecordStore,
  type StoredEvent,
} from '../application/record-store.port';
import { rowValues, upsertSql } from './read-model-schema';
import { crmEventJson, crmEventMessageId } from './crm-wire';

interface EventRow {
  workspace_id: string;
  aggregate_type: AggregateType;
  aggregate_id: string;
  version: number;
  type: RecordEventType;
  payload: JsonObject;
  actor: Actor;
  occurred_at: Date;
}

function toStored(row: EventRow): StoredEvent {
  return {
    workspaceId: row.workspace_id,
    aggregateType: row.aggregate_type,
    aggregateId: row.aggregate_id,
    version: row.version,
    type: row.type,
    payload: row.payload,
    actor: row.actor,
    occurredAt: row.occurred_at.toISOString(),
  };
}

const UNIQUE_VIOLATION = '23505';

function constraintOf(error: unknown): string | undefined {
  const e = error as { code?: string; constraint?: string; driverError?: { constraint?: string } };
  if (e.code !== UNIQUE_VIOLATION) return undefined;
  return e.constraint ?? e.driverError?.constraint ?? '';
}

/** `crm.events` + projections + outbox, in one transaction per append. */
export class PostgresRecordStore implements RecordStore {
  constructor(private readonly postgres: DataSource) {}

  async load(workspaceId: string, type: AggregateType, id: string): Promise<RecordState> {
    const events = await this.history(workspaceId, type, id);
    return events.reduce((s, e) => evolve(s, e, e.occurredAt), emptyState(type, id));
  }

  async history(workspaceId: string, type: AggregateType, id: string): Promise<StoredEvent[]> {
    const rows = await this.postgres.query<EventRow[]>(
      `SELECT workspace_id, aggregate_type, aggregate_id, version, type, payload, actor, occurred_at
       FROM crm.events WHERE aggregate_id = $1 AND workspace_id = $2 AND aggregate_type = $3
       ORDER BY version`,
      [id, workspaceId, type],
    );
    return rows.map(toStored);
  }

  async append(
    workspaceId: string,
    _before: RecordState,
    after: RecordState,
    events: readonly StoredEvent[],
  ): Promise<void> {
    try {
      await this.postgres.transaction((manager) =>
        appendInTransaction(manager, workspaceId, after, events),
      );
    } catch (error) {
      const constraint = constraintOf(error);
      if (constraint === 'events_aggregate_version') throw new ConcurrentAppendError(after.id);
      if (constraint?.endsWith('_external_id'))
        throw new DomainError(
          'conflict',
          'crm.external_id_taken',
          `externalId ${String(after.fields.externalId)} names another ${after.type}`,
          { field: 'externalId' },
        );
      throw error;
    }
  }
}

/**
 * Writes events, the read-model row, the stage history and the outbox rows. Also used by the
 * rebuild (without the outbox) so that live and rebuilt projections share one code path.
 */
export async function appendInTransaction(
  manager: EntityManager,
  workspaceId: string,
  after: RecordState,
  events: readonly StoredEvent[],
): Promise<void> {
  await manager.query(
    `INSERT INTO crm.events
       (workspace_id, aggregate_type, aggregate_id, version, type, payload, actor, occurred_at)
     SELECT $1, $2, $3, v, t, p, a, o
     FROM unnest($4::int[], $5::text[], $6::jsonb[], $7::jsonb[], $8::timestamptz[]) AS e(v, t, p, a, o)`,
    [
      workspaceId,
      after.type,
      after.id,
      events.map((e) => e.version),
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.payload)),
      events.map((e) => JSON.stringify(e.actor)),
      events.map((e) => e.occurredAt),
    ],
  );
  await projectInTransaction(manager, workspaceId, after, events);
  await manager.query(
    `INSERT INTO crm.outbox (workspace_id, subject, message_id, payload)
     SELECT $1, s, m, p FROM unnest($2::text[], $3::text[], $4::jsonb[]) AS o(s, m, p)`,
    [
      workspaceId,
      events.map((e) => eventSubject(`cdp.crm.${e.aggregateType}.${e.type}.v1`, workspaceId)),
      events.map(crmEventMessageId),
      events.map((e) => JSON.stringify(crmEventJson(e))),
    ],
  );
}

/** The projections of `events` (whose result is `after`). */
export async function projectInTransaction(
  manager: EntityManager,
  workspaceId: string,
  after: RecordState,
  events: readonly StoredEvent[],
): Promise<void> {
  await manager.query(upsertSql(after.type), rowValues(workspaceId, after));
  if (after.type !== 'deal') return;
  // Stage history: where each deal entered which stage, for conversion and cycle reports.
  const entries: { version: number; from: string | null; to: string; kind: string; at: string }[] =
    [];
  for (const event of events) {
    if (event.type === 'created')
      entries.push({
        version: event.version,
        from: null,
        to: String((event.payload.fields as JsonObject | undefined)?.stageId ?? ''),
        kind: String((event.payload.fields as JsonObject | undefined)?.stageKind ?? 'open'),
        at: event.occurredAt,
      });
    if (event.type === 'stage_changed')
      entries.push({
        version: event.version,
        from: typeof event.payload.fromStageId === 'string' ? event.payload.fromStageId : null,
        to: String(event.payload.toStageId),
        kind: String(event.payload.stageKind),
        at: event.occurredAt,
      });
  }
  if (entries.length === 0) return;
  await manager.query(
    `INSERT INTO crm.deal_stage_history
       (workspace_id, deal_id, version, pipeline_id, from_stage_id, to_stage_id, stage_kind, entered_at)
     SELECT $1, $2, v, $3, f, t, k, a
     FROM unnest($4::int[], $5::text[], $6::text[], $7::text[], $8::timestamptz[]) AS h(v, f, t, k, a)
     ON CONFLICT DO NOTHING`,
    [
      workspaceId,
      after.id,
      String(after.fields.pipelineId ?? ''),
      entries.map((e) => e.version),
      entries.map((e) => e.from),
      entries.map((e) => e.to),
      entries.map((e) => e.kind),
      entries.map((e) => e.at),
    ],
  );
}

