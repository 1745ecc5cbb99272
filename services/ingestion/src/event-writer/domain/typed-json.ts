import type { JsonObject, JsonValue } from '../../events/domain/accepted-event';

/**
 * The typed copy of properties/traits/context for ClickHouse's JSON columns
 * (docs/adr/0007-event-dedup.md, "Fidelity"). The JSON type refuses some valid JSON and would
 * fail the whole insert; the writer rewrites exactly those values, deterministically, in the
 * typed copy only (the `raw` column keeps the event as accepted):
 *
 * - a lone UTF-16 surrogate (in a string or a key) becomes U+FFFD;
 * - an integer of magnitude >= 2^63 (JS holds it as a double; JSON.stringify writes it with
 *   rounded digits, e.g. -2^63 as -9223372036854776000, which can fall outside Int64/UInt64) is
 *   written in exponent notation, so ClickHouse types it Float64: the same double JS holds;
 * - non-finite numbers cannot come out of JSON.parse; they would be written as null.
 *
 * Dotted keys colliding with a nested path (`{"a.b":1,"a":{"b":2}}`) are left to the insert
 * setting `type_json_skip_duplicated_paths = 1` (the first path wins).
 */

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ANY_SURROGATE = /[\ud800-\udfff]/;
/**
 * Cheap screen of JSON.stringify's output: it escapes every lone surrogate as `\udXXX` (pairs are
 * written as characters) and writes integers below 1e21 in plain digits (every integer outside
 * Int64 has at least 19 digits). No match = nothing to rewrite (the common case).
 */
const SUSPECT = /\\ud[89a-f]|\d{19}/;

/** `text` with lone surrogates replaced by U+FFFD (the same string when there are none). */
export function wellFormed(text: string): string {
  return ANY_SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\ufffd') : text;
}

const INT64_LIMIT = 2 ** 63;

function beyondInt64(n: number): boolean {
  return Number.isInteger(n) && Math.abs(n) >= INT64_LIMIT;
}

function writeValue(value: JsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(wellFormed(value));
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'null';
    return beyondInt64(value) ? value.toExponential() : JSON.stringify(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(writeValue).join(',')}]`;
  if (typeof value === 'object') return writeObject(value);
  return 'null'; // not JSON (undefined in an array, as JSON.stringify writes it)
}

function writeObject(value: { readonly [key: string]: JsonValue | undefined }): string {
  const members: string[] = [];
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined) continue;
    members.push(`${JSON.stringify(wellFormed(key))}:${writeValue(member)}`);
  }
  return `{${members.join(',')}}`;
}

/**
 * Whether JSON.stringify's output of a value holding `value` may need the typed rewrite (no =
 * the text is storable as is). A screen: false positives only cost the slow path.
 */
export function mayNeedTypedCopy(stringified: string): boolean {
  return SUSPECT.test(stringified);
}

/** JSON text of `value` that ClickHouse's JSON type accepts (see above). */
export function encodeTypedJson(value: JsonObject): string {
  const text = JSON.stringify(value);
  return SUSPECT.test(text) ? writeObject(value) : text;
}
