import { createHash } from 'node:crypto';
import { type EventStep, type JsonValue } from './definition';
import { compareValue, readPath } from './values';

/**
 * Identifies "a kind of event" (name + property filters) across segments: real-time evaluation
 * records one hit per (matcher key, event) and every segment using that step reads the same hits.
 */
export type MatcherKey = string;

/** JSON with object keys sorted: stored definitions (jsonb) come back with keys reordered. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

export function matcherKey(step: EventStep): MatcherKey {
  const canonical = canonicalJson([step.event, step.where ?? []]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/** The parts of a behavioral event the language looks at. */
export interface ObservedEvent {
  readonly type: string;
  readonly event: string;
  readonly properties: Readonly<Record<string, JsonValue>> | undefined;
}

/** Whether a track event is of `step`'s kind (the filters are evaluated clock-free). */
export function matchesStep(step: EventStep, event: ObservedEvent): boolean {
  if (event.type !== 'track' || event.event !== step.event) return false;
  const properties: JsonValue = event.properties ?? {};
  return (step.where ?? []).every((filter) =>
    compareValue(
      filter.operator,
      readPath(properties, filter.property.split('.')),
      filter.value,
      0,
    ),
  );
}
