import type { ClickHouseClient } from '@cdp/persistence';
import { type AcceptedEventLog } from '../application/verify-rebuild.use-case';
import { parseAcceptedEventBatch } from '../interface/messaging/accepted-event-batch.schema';

const PAGE = 5_000;

/**
 * A workspace's event history from ClickHouse `events` (written by ingestion's event writer,
 * ADR 0007): each row's `raw` column is the accepted event's canonical JSON as accepted, the
 * source of truth for rebuilds. Replayed in arrival order (`received_at`, then message id),
 * the order the resolver saw them in, one page at a time (keyset pagination). Identity reads
 * only `workspace_id`, `message_id`, `received_at` and `raw`. Rows that are not a valid event
 * of the workspace are skipped, as the resolver dead-letters them.
 */
export class ClickHouseEventHistory implements AcceptedEventLog {
  constructor(private readonly clickhouse: ClickHouseClient) {}

  async replay(
    workspaceId: string,
    onBatch: Parameters<AcceptedEventLog['replay']>[1],
    maxEvents: number,
  ): ReturnType<AcceptedEventLog['replay']> {
    let after = { at: '1970-01-01 00:00:00.000', id: '' };
    let pages = 0;
    let events = 0;
    for (;;) {
      const limit = Math.min(PAGE, maxEvents - events + 1);
      const result = await this.clickhouse.query({
        query: `SELECT message_id, toString(received_at) AS at, raw FROM events
                WHERE workspace_id = {ws:String}
                  AND (received_at, message_id) > (toDateTime64({at:String}, 3, 'UTC'), {id:String})
                ORDER BY received_at, message_id LIMIT {limit:UInt32}`,
        query_params: { ws: workspaceId, at: after.at, id: after.id, limit },
        format: 'JSONEachRow',
      });
      const rows = await result.json<{ message_id: string; at: string; raw: string }>();
      if (rows.length === 0) return { messages: pages, events, truncated: false };
      pages++;
      const room = maxEvents - events;
      const items: unknown[] = [];
      for (const row of rows.slice(0, room)) {
        try {
          items.push(JSON.parse(row.raw));
        } catch {
          // not JSON: skipped like a poison batch
        }
      }
      const valid = items.flatMap((item) => {
        const parsed = parseAcceptedEventBatch({ items: [item] }, workspaceId);
        return parsed.ok ? parsed.items : [];
      });
      if (valid.length > 0) await onBatch(valid);
      events += Math.min(rows.length, room);
      if (rows.length > room) return { messages: pages, events, truncated: true };
      const last = rows[rows.length - 1];
      if (!last || rows.length < limit) return { messages: pages, events, truncated: false };
      after = { at: last.at, id: last.message_id };
    }
  }
}
