import type { DataSource, EntityManager } from 'typeorm';
import { emptyState, evolve, type RecordEventType, type RecordState } from '../domain/crm-record';
import { AGGREGATE_TYPES, type AggregateType, type JsonObject } from '../domain/record-types';
import { type Actor, type StoredEvent } from '../application/record-store.port';
import {
  type ReadModelRebuilder,
  type RebuildResult,
} from '../application/read-model-rebuilder.port';
import { projectInTransaction } from './postgres-record-store';
import { tableOf } from './read-model-schema';

/** Events read per round trip while replaying. */
const PAGE = 5_000;
const MAX_DIFFERENCES = 20;

interface EventRow {
  seq: string;
  aggregate_type: AggregateType;
  aggregate_id: string;
  version: number;
  type: RecordEventType;
  payload: JsonObject;
  actor: Actor;
  occurred_at: Date;
}

type Snapshot = Map<string, Map<string, string>>;

/**
 * Re-projects a workspace's read models from crm.events, in one transaction: snapshot the live
 * rows, delete them, replay every aggregate through the same projection code as live appends,
 * snapshot again and compare. `verifyOnly` rolls the rebuild back (the proof without the swap).
 * The CDP view is not rebuilt here: it is a projection of CDP messages, not of crm.events.
 */
export class PostgresReadModelRebuilder implements ReadModelRebuilder {
  constructor(private readonly postgres: DataSource) {}

  async rebuild(workspaceId: string, options: { verifyOnly: boolean }): Promise<RebuildResult> {
    const runner = this.postgres.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      const manager = runner.manager;
      // Writers of this workspace wait: a command appended mid-rebuild would be missed.
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('crm-rebuild:' || $1))`, [
        workspaceId,
      ]);
      await manager.query(`LOCK TABLE crm.events IN SHARE MODE`);
      const live = await snapshot(manager, workspaceId);
      for (const type of AGGREGATE_TYPES)
        await manager.query(`DELETE FROM ${tableOf(type)} WHERE workspace_id = $1`, [workspaceId]);
      await manager.query(`DELETE FROM crm.deal_stage_history WHERE workspace_id = $1`, [
        workspaceId,
      ]);
      const { events, aggregates } = await replay(manager, workspaceId);
      const rebuilt = await snapshot(manager, workspaceId);
      const differences: { table: string; id: string }[] = [];
      const tables: Record<string, { live: number; rebuilt: number }> = {};
      for (const [table, liveRows] of live) {
        const rebuiltRows = rebuilt.get(table) ?? new Map<string, string>();
        tables[table] = { live: liveRows.size, rebuilt: rebuiltRows.size };
        for (const id of new Set([...liveRows.keys(), ...rebuiltRows.keys()]))
          if (liveRows.get(id) !== rebuiltRows.get(id) && differences.length < MAX_DIFFERENCES)
            differences.push({ table, id });
      }
      if (options.verifyOnly) await runner.rollbackTransaction();
      else await runner.commitTransaction();
      return {
        events,
        aggregates,
        tables,
        equal: differences.length === 0,
        differences,
        verifyOnly: options.verifyOnly,
      };
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }
}

async function replay(
  manager: EntityManager,
  workspaceId: string,
): Promise<{ events: number; aggregates: number }> {
  let events = 0;
  let aggregates = 0;
  let current: { state: RecordState; events: StoredEvent[] } | undefined;
  const flush = async (): Promise<void> => {
    if (!current) return;
    await projectInTransaction(manager, workspaceId, current.state, current.events);
    aggregates++;
    current = undefined;
  };
  let after: { id: string; version: number } = { id: '', version: 0 };
  for (;;) {
    const rows = await manager.query<EventRow[]>(
      `SELECT seq, aggregate_type, aggregate_id, version, type, payload, actor, occurred_at
       FROM crm.events WHERE workspace_id = $1 AND (aggregate_id, version) > ($2, $3)
       ORDER BY aggregate_id, version LIMIT ${PAGE}`,
      [workspaceId, after.id, after.version],
    );
    for (const row of rows) {
      if (current && current.state.id !== row.aggregate_id) await flush();
      current ??= { state: emptyState(row.aggregate_type, row.aggregate_id), events: [] };
      const event: StoredEvent = {
        workspaceId,
        aggregateType: row.aggregate_type,
        aggregateId: row.aggregate_id,
        version: row.version,
        type: row.type,
        payload: row.payload,
        actor: row.actor,
        occurredAt: row.occurred_at.toISOString(),
      };
      current.state = evolve(current.state, event, event.occurredAt);
      current.events.push(event);
      events++;
    }
    const last = rows.at(-1);
    if (!last || rows.length < PAGE) break;
    after = { id: last.aggregate_id, version: last.version };
  }
  await flush();
  return { events, aggregates };
}

/** Every read-model row of the workspace as canonical JSON, by table and id. */
async function snapshot(manager: EntityManager, workspaceId: string): Promise<Snapshot> {
  const result: Snapshot = new Map();
  const tables = [...AGGREGATE_TYPES.map(tableOf), 'crm.deal_stage_history'];
  for (const table of tables) {
    const key = table === 'crm.deal_stage_history' ? `deal_id || ':' || version` : 'id';
    const rows = await manager.query<{ id: string; row: string }[]>(
      `SELECT ${key} AS id, (to_jsonb(t) - 'search')::text AS row FROM ${table} t
       WHERE workspace_id = $1`,
      [workspaceId],
    );
    result.set(table, new Map(rows.map((r) => [r.id, r.row])));
  }
  return result;
}
