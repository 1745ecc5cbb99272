import type { ClickHouseClient } from '@cdp/persistence';
import { type RecentEvent, type RecentEventsReader } from '../application/cdp-view.ports';

interface Row {
  message_id: string;
  type: string;
  event: string;
  ts: string;
  source_id: string;
}

/**
 * A profile's latest behavioral events: its identifiers from `identity_map` (highest version
 * per identifier wins, so merges are followed without rewriting history), then the events of
 * those anonymous ids and user ids.
 */
export class ClickHouseRecentEvents implements RecentEventsReader {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly timeoutMs = 3_000,
  ) {}

  async recent(workspaceId: string, profileId: string, limit: number): Promise<RecentEvent[]> {
    const result = await this.client.query({
      query: `WITH ids AS (
                SELECT identifier_type, identifier_value
                FROM identity_map
                WHERE workspace_id = {ws:String}
                  AND identifier_type IN ('anonymous_id', 'user_id')
                GROUP BY identifier_type, identifier_value
                HAVING argMax(profile_id, version) = {profile:String}
              )
              SELECT message_id, type, event, toString(timestamp) AS ts, source_id
              FROM events
              WHERE workspace_id = {ws:String}
                AND (anonymous_id IN (SELECT identifier_value FROM ids WHERE identifier_type = 'anonymous_id')
                  OR user_id IN (SELECT identifier_value FROM ids WHERE identifier_type = 'user_id'))
              ORDER BY timestamp DESC
              LIMIT {limit:UInt32}`,
      query_params: { ws: workspaceId, profile: profileId, limit },
      format: 'JSONEachRow',
      abort_signal: AbortSignal.timeout(this.timeoutMs),
    });
    const rows = await result.json<Row>();
    return rows.map((r) => ({
      messageId: r.message_id,
      type: r.type,
      event: r.event,
      timestamp: `${r.ts.replace(' ', 'T')}Z`,
      sourceId: r.source_id,
    }));
  }
}
