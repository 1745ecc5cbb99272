import { emptyState, evolve, type RecordEvent, type RecordState } from './crm-record';
import { type AggregateType, type JsonValue } from './record-types';

export interface FieldChange {
  /** A field name, or `customFields.<key>`, `archived`. */
  readonly field: string;
  readonly from: JsonValue;
  readonly to: JsonValue;
}

export interface HistoryEntry<A> {
  readonly version: number;
  readonly type: string;
  readonly occurredAt: string;
  /** Who, and from where (channel, address, user agent). */
  readonly actor: A;
  readonly origin: string | null;
  /** What changed, computed by replaying the events (before → after of every field). */
  readonly changes: readonly FieldChange[];
  readonly payload: { readonly [key: string]: JsonValue };
}

function diff(before: RecordState, after: RecordState): FieldChange[] {
  const changes: FieldChange[] = [];
  const keys = new Set([...Object.keys(before.fields), ...Object.keys(after.fields)]);
  for (const key of keys) {
    const from = before.fields[key] ?? null;
    const to = after.fields[key] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes.push({ field: key, from, to });
  }
  const custom = new Set([...Object.keys(before.customFields), ...Object.keys(after.customFields)]);
  for (const key of custom) {
    const from = before.customFields[key] ?? null;
    const to = after.customFields[key] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to))
      changes.push({ field: `customFields.${key}`, from, to });
  }
  if (before.archived !== after.archived)
    changes.push({ field: 'archived', from: before.archived, to: after.archived });
  return changes;
}

/** "Who moved this deal to Negotiation, when, from where": one entry per event, oldest first. */
export function recordHistory<A>(
  type: AggregateType,
  id: string,
  events: readonly (RecordEvent & {
    readonly version: number;
    readonly occurredAt: string;
    readonly actor: A;
  })[],
): HistoryEntry<A>[] {
  let state = emptyState(type, id);
  return events.map((event) => {
    const next = evolve(state, event, event.occurredAt);
    const entry: HistoryEntry<A> = {
      version: event.version,
      type: event.type,
      occurredAt: event.occurredAt,
      actor: event.actor,
      origin: typeof event.payload.origin === 'string' ? event.payload.origin : null,
      changes: diff(state, next),
      payload: event.payload,
    };
    state = next;
    return entry;
  });
}
