import type { AcceptedEvent, JsonObject } from '../../events/domain/accepted-event';
import { wellFormed } from './typed-json';

/** One row of the ClickHouse `events` table, as inserted (JSONEachRow). */
export interface EventRow {
  readonly workspace_id: string;
  readonly message_id: string;
  readonly type: string;
  readonly event: string;
  readonly name: string;
  readonly category: string;
  readonly anonymous_id: string;
  readonly user_id: string;
  readonly group_id: string;
  readonly previous_id: string;
  readonly source_id: string;
  readonly write_key_id: string;
  /** `YYYY-MM-DD hh:mm:ss.SSS`, UTC (what DateTime64(3, 'UTC') parses without settings). */
  readonly timestamp: string;
  readonly original_timestamp: string | null;
  readonly sent_at: string | null;
  readonly received_at: string;
  readonly properties: JsonObject;
  readonly traits: JsonObject;
  readonly context: JsonObject;
  /** Kept as JSON text: per-destination switches are read whole, never queried by path. */
  readonly integrations: string;
  /** Named tuples, sent as objects (ClickHouse reads named tuples from JSON objects). */
  readonly violations: readonly { readonly path: string; readonly message: string }[];
  /**
   * The event's canonical JSON exactly as consumed (nulls, empty objects, dotted keys, lone
   * surrogates, every character of long texts): what a rebuild or replay reads. The typed
   * columns above are a queryable copy that ClickHouse's JSON type may not hold faithfully.
   */
  readonly raw: string;
}

/** The dedup key of an event: messageId, scoped by workspace (tenants never suppress each other). */
export interface MessageKey {
  readonly workspaceId: string;
  readonly messageId: string;
}

export function keyOf(row: Pick<EventRow, 'workspace_id' | 'message_id'>): string {
  return `${row.workspace_id}\u0000${row.message_id}`;
}

/**
 * ISO-8601 instant → ClickHouse DateTime64(3) text in UTC. Throws RangeError on anything
 * Date cannot parse or outside the years ClickHouse DateTime64 stores (1900-2299).
 */
const CANONICAL_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function toClickHouseDateTime(iso: string): string {
  // Fast path (no Date round trip): what collection publishes (Date#toISOString).
  const canonical = CANONICAL_INSTANT.exec(iso);
  if (canonical) {
    const year = Number(canonical[1]);
    const month = Number(canonical[2]);
    const day = Number(canonical[3]);
    if (
      year >= 1900 &&
      year <= 2299 &&
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      (day <= 28 || day <= daysInMonth(year, month))
    )
      return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  }
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new RangeError(`not an ISO-8601 timestamp: "${iso}"`);
  const text = new Date(ms).toISOString(); // 2024-05-01T10:11:12.345Z
  const year = Number(text.slice(0, 4));
  if (text.length !== 24 || year < 1900 || year > 2299)
    throw new RangeError(`timestamp out of range: "${iso}"`);
  return `${text.slice(0, 10)} ${text.slice(11, 23)}`;
}

/**
 * Maps an accepted event to its `events` row; the timestamps were fixed at ingestion. String
 * columns get lone UTF-16 surrogates replaced by U+FFFD (ClickHouse would store them as invalid
 * UTF-8 that no query parameter matches, so a messageId could never be found again); `raw`
 * keeps the original text.
 */
export function toEventRow(event: AcceptedEvent): EventRow {
  return {
    workspace_id: wellFormed(event.workspaceId),
    message_id: wellFormed(event.messageId),
    type: event.type,
    event: wellFormed(event.event ?? ''),
    name: wellFormed(event.name ?? ''),
    category: wellFormed(event.category ?? ''),
    anonymous_id: wellFormed(event.anonymousId ?? ''),
    user_id: wellFormed(event.userId ?? ''),
    group_id: wellFormed(event.groupId ?? ''),
    previous_id: wellFormed(event.previousId ?? ''),
    source_id: wellFormed(event.sourceId),
    write_key_id: wellFormed(event.writeKeyId),
    timestamp: toClickHouseDateTime(event.timestamp),
    original_timestamp:
      event.originalTimestamp === undefined ? null : toClickHouseDateTime(event.originalTimestamp),
    sent_at: event.sentAt === undefined ? null : toClickHouseDateTime(event.sentAt),
    received_at: toClickHouseDateTime(event.receivedAt),
    properties: event.properties ?? {},
    traits: event.traits ?? {},
    context: event.context ?? {},
    integrations: JSON.stringify(event.integrations ?? {}),
    violations: (event.violations ?? []).map((v) => ({
      path: wellFormed(v.path),
      message: wellFormed(v.message),
    })),
    raw: JSON.stringify(event),
  };
}
