import type { ClickHouseClient } from '@cdp/persistence';
import {
  type IdentifierLookup,
  type TimelineEvent,
  type TimelinePage,
  type TimelineQuery,
  type TimelineReader,
} from '../application/profile-queries.service';

interface EventRow {
  message_id: string;
  type: string;
  event: string;
  name: string;
  anonymous_id: string;
  user_id: string;
  source_id: string;
  /** Not `timestamp`: a SELECT alias would shadow the column in WHERE. */
  event_time: string;
  raw: string;
}

/**
 * `identity_map` and `events` belong to identity and ingestion, which create them (in
 * microservices mode possibly after this service started): until they exist there is nothing to
 * find, which is an empty answer, not an error.
 */
function isUnknownTable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { type, code, message } = error as { type?: unknown; code?: unknown; message?: unknown };
  return type === 'UNKNOWN_TABLE' || String(code) === '60' || /UNKNOWN_TABLE/.test(String(message));
}

async function orEmpty<T>(query: () => Promise<T[]>): Promise<T[]> {
  try {
    return await query();
  } catch (error) {
    if (isUnknownTable(error)) return [];
    throw error;
  }
}

/** ClickHouse DateTime64(3) text ('2025-01-01 10:00:00.000') → ISO-8601. */
function iso(text: string): string {
  return `${text.replace(' ', 'T')}Z`;
}

/** ISO → the DateTime64 text ClickHouse parses in query parameters. */
function chTime(iso: string): string {
  return new Date(iso).toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * The unified timeline and identifier lookups over ClickHouse: `events` joined through
 * `identity_map` (identifier → current profile, highest version wins), so a profile's timeline
 * holds the events of every identifier that resolves to it today, merges included, without
 * rewriting event history.
 */
export class ClickHouseTimeline implements TimelineReader, IdentifierLookup {
  constructor(private readonly clickhouse: ClickHouseClient) {}

  async profileOf(workspaceId: string, type: string, value: string): Promise<string | undefined> {
    const [row] = await orEmpty(async () => {
      const result = await this.clickhouse.query({
        query: `SELECT argMax(profile_id, version) AS profile FROM identity_map
              WHERE workspace_id = {ws:String} AND identifier_type = {type:String}
                AND identifier_value = {value:String}
              GROUP BY identifier_type, identifier_value`,
        query_params: { ws: workspaceId, type, value },
        format: 'JSONEachRow',
      });
      return result.json<{ profile: string }>();
    });
    return row?.profile;
  }

  async timeline(query: TimelineQuery): Promise<TimelinePage> {
    const params: Record<string, unknown> = {
      ws: query.workspaceId,
      profile: query.profileId,
      limit: query.limit + 1,
    };
    const filters: string[] = [];
    if (query.event !== undefined) {
      filters.push("(event = {event:String} OR (event = '' AND type = {event:String}))");
      params['event'] = query.event;
    }
    if (query.from !== undefined) {
      filters.push('timestamp >= {from:DateTime64(3)}');
      params['from'] = chTime(query.from);
    }
    if (query.to !== undefined) {
      filters.push('timestamp < {to:DateTime64(3)}');
      params['to'] = chTime(query.to);
    }
    if (query.cursor !== undefined) {
      filters.push(
        '(timestamp < {cursorAt:DateTime64(3)} OR (timestamp = {cursorAt:DateTime64(3)} AND message_id < {cursorId:String}))',
      );
      params['cursorAt'] = chTime(query.cursor.at);
      params['cursorId'] = query.cursor.messageId;
    }
    const rows = await orEmpty(async () => {
      const result = await this.clickhouse.query({
        query: `
        WITH ids AS (
          SELECT identifier_type AS t, identifier_value AS v FROM identity_map
          WHERE workspace_id = {ws:String} AND identifier_type IN ('anonymous_id', 'user_id')
          GROUP BY identifier_type, identifier_value
          HAVING argMax(profile_id, version) = {profile:String}
        )
        SELECT message_id, type, event, name, anonymous_id, user_id, source_id,
               toString(timestamp) AS event_time, raw
        FROM events
        WHERE workspace_id = {ws:String}
          AND (anonymous_id IN (SELECT v FROM ids WHERE t = 'anonymous_id')
               OR user_id IN (SELECT v FROM ids WHERE t = 'user_id'))
          ${filters.map((f) => `AND ${f}`).join('\n          ')}
        ORDER BY timestamp DESC, message_id DESC
        LIMIT 1 BY message_id
        LIMIT {limit:UInt32}`,
        query_params: params,
        format: 'JSONEachRow',
      });
      return result.json<EventRow>();
    });
    const page = rows.slice(0, query.limit);
    const data: TimelineEvent[] = page.map((row) => {
      let raw: Record<string, unknown> = {};
      try {
        raw = JSON.parse(row.raw) as Record<string, unknown>;
      } catch {
        // raw is the canonical JSON the writer stored; an unreadable one still lists its columns
      }
      return {
        ...raw,
        messageId: row.message_id,
        type: row.type,
        ...(row.event ? { event: row.event } : {}),
        ...(row.name ? { name: row.name } : {}),
        ...(row.anonymous_id ? { anonymousId: row.anonymous_id } : {}),
        ...(row.user_id ? { userId: row.user_id } : {}),
        sourceId: row.source_id,
        timestamp: iso(row.event_time),
      };
    });
    const last = page.at(-1);
    return {
      data,
      next:
        rows.length > query.limit && last
          ? { at: iso(last.event_time), messageId: last.message_id }
          : undefined,
    };
  }
}
