/**
 * An event as ingestion accepted it: the canonical JSON of `cdp.ingestion.v1.Event`
 * (proto/cdp/ingestion/v1/event.proto), i.e. a Segment event with its timestamps fixed and
 * ingestion's own fields. Micro-batches of these are published as `{ "items": [...] }`
 * (`cdp.ingestion.v1.EventBatch`) on `cdp.ingestion.event.accepted.v1.<workspace>.<partition>`.
 */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export const EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface Violation {
  /** JSON path of the offending field, or "event" for an unplanned event. */
  readonly path: string;
  readonly message: string;
}

export interface AcceptedEvent {
  readonly type: EventType;
  readonly messageId: string;
  readonly workspaceId: string;
  readonly sourceId: string;
  readonly writeKeyId: string;
  /** Empty string when absent (proto3 JSON omits empty strings). */
  readonly userId?: string;
  readonly anonymousId?: string;
  /** track: event name. */
  readonly event?: string;
  /** page/screen: name; page: category. */
  readonly name?: string;
  readonly category?: string;
  /** alias: the previous id; group: the group id. */
  readonly previousId?: string;
  readonly groupId?: string;
  readonly properties?: JsonObject;
  readonly traits?: JsonObject;
  readonly context?: JsonObject;
  readonly integrations?: JsonObject;
  /** ISO-8601 UTC. Fixed once at ingestion (skew-corrected), never recomputed. */
  readonly timestamp: string;
  readonly originalTimestamp?: string;
  readonly sentAt?: string;
  readonly receivedAt: string;
  /** Tracking-plan violations of an event accepted in "flag" mode. */
  readonly violations?: readonly Violation[];
}

/** Contract name carried in the `cdp-schema` header of accepted-event batches. */
export const ACCEPTED_EVENT_BATCH_SCHEMA = 'cdp.ingestion.v1.EventBatch';
