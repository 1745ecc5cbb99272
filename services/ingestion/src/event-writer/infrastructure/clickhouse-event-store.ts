import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@cdp/persistence';
import type { EventRow, MessageKey } from '../domain/event-row';
import { encodeTypedJson, mayNeedTypedCopy } from '../domain/typed-json';
import {
  RowsRefusedError,
  type ClaimRecord,
  type EventStore,
} from '../application/event-store.port';

export const EVENTS_TABLE = 'events';
export const DEDUP_TABLE = 'event_dedup';

export interface ClickHouseEventStoreOptions {
  /** Per-statement timeout (the claim timeout must exceed a whole flush). */
  readonly statementTimeoutMs: number;
  /** Attempts of one insert (retries reuse the insert_deduplication_token). */
  readonly insertAttempts?: number;
  /**
   * `sanitized` (default): the JSON columns get the typed copy of domain/typed-json.ts and the
   * insert skips duplicated paths, so no accepted event can fail the insert. `verbatim` writes
   * the JSON as is (what the writer did before; tests use it to exercise poison isolation with
   * values ClickHouse really refuses).
   */
  readonly typedJson?: 'sanitized' | 'verbatim';
}

/**
 * ClickHouse error codes that mean "this data cannot be stored" (deterministic for the rows):
 * parse and type errors of the input format. Anything else (network, timeout, overload, missing
 * table) is treated as transient and retried.
 */
const DATA_ERROR_CODES = new Set([
  '6', // CANNOT_PARSE_TEXT
  '25', // CANNOT_PARSE_ESCAPE_SEQUENCE
  '26', // CANNOT_PARSE_QUOTED_STRING
  '27', // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  '33', // CANNOT_READ_ALL_DATA
  '38', // CANNOT_PARSE_DATE
  '41', // CANNOT_PARSE_DATETIME
  '53', // TYPE_MISMATCH
  '69', // ARGUMENT_OUT_OF_BOUND
  '70', // CANNOT_CONVERT_TYPE
  '72', // CANNOT_PARSE_NUMBER
  '117', // INCORRECT_DATA (JSON type: unparsable value, duplicated path)
  '131', // TOO_LARGE_STRING_SIZE
  '306', // TOO_DEEP_RECURSION
  '321', // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  '349', // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  '386', // NO_COMMON_TYPE
  '1001', // STD_EXCEPTION (e.g. a UTF-8 conversion inside the parser)
]);

/** Whether ClickHouse refused the content of an insert (vs. a transient failure). */
export function isDataError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code: unknown = error.code;
  return typeof code === 'string' && DATA_ERROR_CODES.has(code);
}

const str = JSON.stringify;

/**
 * One JSONEachRow line of `events`. Fast path: V8's JSON.stringify of the whole row (its JSON
 * columns are then written verbatim), kept when the screen finds nothing the typed copy would
 * rewrite (the screen sees the typed columns and `raw` alike: a false positive only costs the
 * slow path). Slow path: the line written field by field with the typed copy.
 */
function encodeEventLine(row: EventRow, sanitize: boolean): string {
  const text = JSON.stringify(row);
  if (!sanitize || !mayNeedTypedCopy(text)) return `${text}\n`;
  const typed = encodeTypedJson;
  return (
    `{"workspace_id":${str(row.workspace_id)},"message_id":${str(row.message_id)}` +
    `,"type":${str(row.type)},"event":${str(row.event)},"name":${str(row.name)}` +
    `,"category":${str(row.category)},"anonymous_id":${str(row.anonymous_id)}` +
    `,"user_id":${str(row.user_id)},"group_id":${str(row.group_id)}` +
    `,"previous_id":${str(row.previous_id)},"source_id":${str(row.source_id)}` +
    `,"write_key_id":${str(row.write_key_id)},"timestamp":${str(row.timestamp)}` +
    `,"original_timestamp":${str(row.original_timestamp)},"sent_at":${str(row.sent_at)}` +
    `,"received_at":${str(row.received_at)},"properties":${typed(row.properties)}` +
    `,"traits":${typed(row.traits)},"context":${typed(row.context)}` +
    `,"integrations":${str(row.integrations)},"violations":${str(row.violations)}` +
    `,"raw":${str(row.raw)}}\n`
  );
}

interface ClaimRow {
  workspace_id: string;
  message_id: string;
  flush_id: string;
  first_claimed_at: string;
  is_committed: number | string;
  now: string;
}

function distinct(keys: readonly MessageKey[]): { workspaces: string[]; ids: string[] } {
  return {
    workspaces: [...new Set(keys.map((k) => k.workspaceId))],
    ids: [...new Set(keys.map((k) => k.messageId))],
  };
}

/**
 * The writer's ClickHouse side. Every insert carries an `insert_deduplication_token` derived from
 * the flush id, and the tables keep a `non_replicated_deduplication_window`, so retrying an insert
 * whose reply was lost does not duplicate the block (on servers and embedded chdb alike).
 */
export class ClickHouseEventStore implements EventStore {
  private readonly attempts: number;
  private readonly sanitize: boolean;
  private readonly eventSettings: Record<string, number>;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly options: ClickHouseEventStoreOptions,
  ) {
    this.attempts = options.insertAttempts ?? 2;
    const verbatim = options.typedJson === 'verbatim';
    this.sanitize = !verbatim;
    // Dotted keys colliding with a nested path (`{"a.b":1,"a":{"b":2}}`): keep the first path.
    // Set both ways: chdb keeps per-query settings for the rest of its session.
    this.eventSettings = { type_json_skip_duplicated_paths: verbatim ? 0 : 1 };
  }

  async claim(flushId: string, keys: readonly MessageKey[]): Promise<void> {
    await this.insert(
      DEDUP_TABLE,
      keys.map((k) => ({
        workspace_id: k.workspaceId,
        message_id: k.messageId,
        flush_id: flushId,
      })),
      `${flushId}:claim`,
    );
  }

  async readClaims(
    keys: readonly MessageKey[],
    windowHours: number,
  ): Promise<{ now: string; claims: ClaimRecord[] }> {
    const { workspaces, ids } = distinct(keys);
    // No FINAL: a claim and its commit (same key) may not be merged yet, so group them here.
    const result = await this.client.query({
      query: `SELECT workspace_id, message_id, flush_id,
                     toString(min(claimed_at)) AS first_claimed_at, max(committed) AS is_committed,
                     toString(now64(6)) AS now
              FROM ${DEDUP_TABLE}
              WHERE workspace_id IN {workspaces:Array(String)}
                AND message_id IN {ids:Array(String)}
                AND claimed_at >= now64(6) - toIntervalHour({window:UInt32})
              GROUP BY workspace_id, message_id, flush_id`,
      query_params: { workspaces, ids, window: windowHours },
      format: 'JSONEachRow',
      abort_signal: AbortSignal.timeout(this.options.statementTimeoutMs),
    });
    const rows = await result.json<ClaimRow>();
    const wanted = new Set(keys.map((k) => `${k.workspaceId}\u0000${k.messageId}`));
    let now = rows[0]?.now;
    if (now === undefined) now = await this.serverNow();
    return {
      now,
      claims: rows
        .filter((r) => wanted.has(`${r.workspace_id}\u0000${r.message_id}`))
        .map((r) => ({
          workspaceId: r.workspace_id,
          messageId: r.message_id,
          flushId: r.flush_id,
          claimedAt: r.first_claimed_at,
          committed: Number(r.is_committed) > 0,
        })),
    };
  }

  async existingEvents(keys: readonly MessageKey[]): Promise<ReadonlySet<string>> {
    const { workspaces, ids } = distinct(keys);
    const result = await this.client.query({
      query: `SELECT DISTINCT workspace_id, message_id FROM ${EVENTS_TABLE}
              WHERE workspace_id IN {workspaces:Array(String)} AND message_id IN {ids:Array(String)}`,
      query_params: { workspaces, ids },
      format: 'JSONEachRow',
      abort_signal: AbortSignal.timeout(this.options.statementTimeoutMs),
    });
    const rows = await result.json<{ workspace_id: string; message_id: string }>();
    return new Set(rows.map((r) => `${r.workspace_id}\u0000${r.message_id}`));
  }

  async insertEvents(insertId: string, rows: readonly EventRow[]): Promise<void> {
    if (rows.length === 0) return;
    // Encoded here (no per-row object copy by the client) and sent as the raw INSERT body.
    let body = '';
    for (const row of rows) body += encodeEventLine(row, this.sanitize);
    await this.withAttempts(async () => {
      const result = await this.client.exec({
        query: `INSERT INTO ${EVENTS_TABLE} FORMAT JSONEachRow`,
        // A string chunk (object mode): chdb concatenates it as is, HTTP writes it as the body.
        values: Readable.from([body]),
        // Always an explicit token: chdb keeps per-query settings for the rest of its session.
        clickhouse_settings: {
          insert_deduplication_token: insertId,
          insert_deduplicate: 1,
          ...this.eventSettings,
        },
        abort_signal: AbortSignal.timeout(this.options.statementTimeoutMs),
      });
      result.stream.resume();
    });
  }

  async commit(flushId: string, claims: readonly ClaimRecord[]): Promise<void> {
    await this.insert(
      DEDUP_TABLE,
      claims.map((c) => ({
        workspace_id: c.workspaceId,
        message_id: c.messageId,
        flush_id: c.flushId,
        claimed_at: c.claimedAt,
        committed: 1,
      })),
      `${flushId}:commit`,
    );
  }

  /**
   * Aligns the dedup table's TTL with the configured window (the lookups filter by the window
   * exactly; the TTL only reclaims space). Changes the table only when the TTL differs.
   */
  async alignDedupTtl(windowHours: number): Promise<boolean> {
    const expected = `toIntervalHour(${windowHours})`;
    const result = await this.client.query({
      query: `SELECT engine_full FROM system.tables
              WHERE database = currentDatabase() AND name = {table:String}`,
      query_params: { table: DEDUP_TABLE },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ engine_full: string }>();
    if (!row || row.engine_full.includes(`TTL toDateTime(claimed_at) + ${expected}`)) return false;
    await this.client.command({
      query: `ALTER TABLE ${DEDUP_TABLE} MODIFY TTL toDateTime(claimed_at) + ${expected}`,
    });
    return true;
  }

  private async serverNow(): Promise<string> {
    const result = await this.client.query({
      query: 'SELECT toString(now64(6)) AS now',
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ now: string }>();
    if (!row) throw new Error('ClickHouse returned no time');
    return row.now;
  }

  private async insert(table: string, values: readonly object[], token: string): Promise<void> {
    if (values.length === 0) return;
    await this.withAttempts(() =>
      this.client.insert({
        table,
        values: [...values],
        format: 'JSONEachRow',
        // Always an explicit token: chdb keeps per-query settings for the rest of its session.
        clickhouse_settings: { insert_deduplication_token: token, insert_deduplicate: 1 },
        abort_signal: AbortSignal.timeout(this.options.statementTimeoutMs),
      }),
    );
  }

  /** Retries transient failures (same token: no duplicate block); refused data at once. */
  private async withAttempts(run: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await run();
        return;
      } catch (error) {
        if (isDataError(error)) {
          const message = error instanceof Error ? error.message : String(error);
          throw new RowsRefusedError(message, { cause: error });
        }
        if (attempt >= this.attempts) throw error;
      }
    }
  }
}
