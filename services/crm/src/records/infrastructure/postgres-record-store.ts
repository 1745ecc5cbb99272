import type { DataSource, EntityManager } from 'typeorm';
import { DomainError, eventSubject } from '@cdp/contracts';
import { emptyState, evolve, type RecordEventType, type RecordState } from '../domain/crm-record';
import { type AggregateType, type JsonObject, type JsonValue } from '../domain/record-types';
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

/** A string field's value ('' when absent or not a string). */
function asText(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value : '';
}

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
    const { sql, params } = appendStatement(workspaceId, after, events);
    try {
      // One statement: its data-modifying CTEs commit together (or not at all) without a
      // BEGIN/COMMIT round trip each.
      await this.postgres.query(sql, params);
    } catch (error) {
      const constraint = constraintOf(error);
      if (constraint === 'events_aggregate_version') throw new ConcurrentAppendError(after.id);
      if (constraint?.endsWith('_external_id'))
        throw new DomainError(
          'conflict',
          'crm.external_id_taken',
          `externalId ${asText(after.fields.externalId)} names another ${after.type}`,
          { field: 'externalId' },
        );
      throw error;
    }
  }
}

interface HistoryEntry {
  readonly version: number;
  readonly from: string | null;
  readonly to: string;
  readonly kind: string;
  readonly at: string;
}

/** Stage history entries of a deal's events: where it entered which stage, when. */
function stageHistory(events: readonly StoredEvent[]): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const event of events) {
    if (event.type === 'created') {
      const fields = (event.payload.fields ?? {}) as JsonObject;
      entries.push({
        version: event.version,
        from: null,
        to: asText(fields.stageId),
        kind: asText(fields.stageKind) || 'open',
        at: event.occurredAt,
      });
    }
    if (event.type === 'stage_changed')
      entries.push({
        version: event.version,
        from: typeof event.payload.fromStageId === 'string' ? event.payload.fromStageId : null,
        to: asText(event.payload.toStageId),
        kind: asText(event.payload.stageKind),
        at: event.occurredAt,
      });
  }
  return entries;
}

/**
 * The whole append as ONE statement: the events, the outbox rows and the deal stage history in
 * data-modifying CTEs, then the read-model upsert. A unique violation on (aggregate_id,
 * version) aborts all of it.
 */
export function appendStatement(
  workspaceId: string,
  after: RecordState,
  events: readonly StoredEvent[],
): { sql: string; params: unknown[] } {
  const params: unknown[] = [...rowValues(workspaceId, after)];
  const p = (value: unknown): string => `$${params.push(value)}`;
  const ws = p(workspaceId);
  const ctes = [
    `appended AS (INSERT INTO crm.events
       (workspace_id, aggregate_type, aggregate_id, version, type, payload, actor, occurred_at)
     SELECT ${ws}, ${p(after.type)}, ${p(after.id)}, v, t, pl, a, o
     FROM unnest(${p(events.map((e) => e.version))}::int[], ${p(events.map((e) => e.type))}::text[],
       ${p(events.map((e) => JSON.stringify(e.payload)))}::jsonb[], ${p(events.map((e) => JSON.stringify(e.actor)))}::jsonb[],
       ${p(events.map((e) => e.occurredAt))}::timestamptz[]) AS e(v, t, pl, a, o))`,
    `published AS (INSERT INTO crm.outbox (workspace_id, subject, message_id, payload)
     SELECT ${ws}, s, m, pl FROM unnest(
       ${p(events.map((e) => eventSubject(`cdp.crm.${e.aggregateType}.${e.type}.v1`, workspaceId)))}::text[],
       ${p(events.map(crmEventMessageId))}::text[],
       ${p(events.map((e) => JSON.stringify(crmEventJson(e))))}::jsonb[]) AS o(s, m, pl))`,
  ];
  const history = after.type === 'deal' ? stageHistory(events) : [];
  if (history.length > 0)
    ctes.push(`history AS (INSERT INTO crm.deal_stage_history
       (workspace_id, deal_id, version, pipeline_id, from_stage_id, to_stage_id, stage_kind, entered_at)
     SELECT ${ws}, ${p(after.id)}, v, ${p(asText(after.fields.pipelineId))}, f, t, k, a
     FROM unnest(${p(history.map((e) => e.version))}::int[], ${p(history.map((e) => e.from))}::text[],
       ${p(history.map((e) => e.to))}::text[], ${p(history.map((e) => e.kind))}::text[],
       ${p(history.map((e) => e.at))}::timestamptz[]) AS h(v, f, t, k, a)
     ON CONFLICT DO NOTHING)`);
  return { sql: `WITH ${ctes.join(',\n')}\n${upsertSql(after.type)}`, params };
}

/** The read-model projections of `events` (whose result is `after`), used by the rebuild. */
export async function projectInTransaction(
  manager: EntityManager,
  workspaceId: string,
  after: RecordState,
  events: readonly StoredEvent[],
): Promise<void> {
  await manager.query(upsertSql(after.type), rowValues(workspaceId, after));
  if (after.type !== 'deal') return;
  const entries = stageHistory(events);
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
      asText(after.fields.pipelineId),
      entries.map((e) => e.version),
      entries.map((e) => e.from),
      entries.map((e) => e.to),
      entries.map((e) => e.kind),
      entries.map((e) => e.at),
    ],
  );
}
