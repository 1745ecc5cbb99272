const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** Longest window a definition may use (10 years): beyond it "ever" says the same thing. */
export const MAX_DURATION_MS = 3650 * 86_400_000;

const DURATION = /^([1-9][0-9]{0,5})([smhdw])$/;

/** `"7d"` → milliseconds; undefined when not `<positive integer><s|m|h|d|w>` or too long. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : undefined;
}

/** Like parseDuration, for definitions that were validated already. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`invalid duration "${text}" in a validated definition`);
  return ms;
}

/** Epoch ms of an ISO-8601 date or date-time (UTC when no offset); undefined when not one. */
export function parseInstant(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text))
    return undefined;
  const normalised = /T|\s/.test(text) && !/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? `${text}Z` : text;
  const ms = Date.parse(normalised.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : undefined;
}
