/**
 * ISO-8601 timestamps as Segment's SDKs send them (`2024-03-01T10:00:00.123Z`, with an offset,
 * or a bare date). Parsed by hand so the result never depends on the server's time zone (a
 * date-time without a zone is UTC) and so any other shape is refused instead of guessed.
 */
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

/** ClickHouse DateTime64 covers 1900–2299: anything outside is a client bug, not a date. */
export const MIN_TIMESTAMP_MS = Date.UTC(1900, 0, 1);
export const MAX_TIMESTAMP_MS = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

/** Epoch milliseconds of an ISO-8601 string, or undefined when it is not a valid one. */
export function parseIsoTimestamp(value: string): number | undefined {
  if (value.length > 40) return undefined;
  if (value.length === 24) {
    const fast = parseCanonical(value);
    if (fast !== undefined) return fast;
  }
  const m = ISO_8601.exec(value);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls 31 February over to March: a date that does not round-trip does not exist.
  const check = new Date(local);
  if (check.getUTCFullYear() !== year || check.getUTCDate() !== day) return undefined;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = m[11] === undefined ? 0 : Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = local - offsetMinutes * 60_000;
  return ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS ? undefined : ms;
}

/**
 * The event time, fixed once at ingestion (Segment's rule): with both the client's send time
 * and its event time, the client clock's skew is removed,
 * `timestamp = receivedAt - (sentAt - originalTimestamp)`; otherwise the time the client gave;
 * otherwise the receive time.
 */
export function correctedTimestamp(
  receivedAtMs: number,
  originalMs: number | undefined,
  sentAtMs: number | undefined,
): number {
  if (originalMs === undefined) return receivedAtMs;
  if (sentAtMs === undefined) return originalMs;
  const corrected = receivedAtMs - (sentAtMs - originalMs);
  return Math.min(MAX_TIMESTAMP_MS, Math.max(MIN_TIMESTAMP_MS, corrected));
}

const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

/**
 * `2024-03-01T10:00:00.123Z`, what every Segment SDK sends (`Date#toISOString`), read without a
 * regex: timestamps are parsed several times per event on the hot path. Anything else (or an
 * impossible date) returns undefined and takes the general parser.
 */
function parseCanonical(v: string): number | undefined {
  if (
    v.charCodeAt(4) !== 45 || // -
    v.charCodeAt(7) !== 45 ||
    v.charCodeAt(10) !== 84 || // T
    v.charCodeAt(13) !== 58 || // :
    v.charCodeAt(16) !== 58 ||
    v.charCodeAt(19) !== 46 || // .
    v.charCodeAt(23) !== 90 // Z
  )
    return undefined;
  for (const i of DIGIT_POSITIONS) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const n = (from: number, to: number): number => {
    let x = 0;
    for (let i = from; i < to; i++) x = x * 10 + (v.charCodeAt(i) - 48);
    return x;
  };
  const year = n(0, 4);
  const month = n(5, 7);
  const day = n(8, 10);
  const hour = n(11, 13);
  const minute = n(14, 16);
  const second = n(17, 19);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, n(20, 23));
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCDate() !== day) return undefined;
  return ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS ? undefined : ms;
}
