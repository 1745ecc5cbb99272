/**
 * Where each event's fields sit in the request body's JSON text, so an accepted event can be
 * written by copying those slices instead of re-serialising what JSON.parse built (ADR 0050).
 *
 * The scanner only runs on text that JSON.parse has just accepted: it tracks strings and
 * brackets and never validates. Anything it does not expect makes it give up (undefined), and
 * the caller then serialises the parsed values as before: the slices are an optimisation, never
 * the source of truth. Duplicate keys resolve as in JSON.parse (the last one wins).
 */

/** The top-level fields of a Segment call the scanner locates (the slot order of a table). */
export const RAW_FIELDS = [
  'type',
  'messageId',
  'userId',
  'anonymousId',
  'previousId',
  'groupId',
  'event',
  'name',
  'category',
  'properties',
  'traits',
  'context',
  'integrations',
  'timestamp',
  'originalTimestamp',
  'sentAt',
] as const;
export type RawField = (typeof RAW_FIELDS)[number];

/** Slot of each field (index into RAW_FIELDS). */
export const RAW_SLOT: { readonly [F in RawField]: number } = Object.fromEntries(
  RAW_FIELDS.map((field, slot) => [field, slot]),
) as { [F in RawField]: number };

const SLOT_BY_NAME: ReadonlyMap<string, number> = new Map(RAW_FIELDS.map((f, i) => [f, i]));
/** Two numbers (start, end) per field and event. */
const STRIDE = RAW_FIELDS.length * 2;

/**
 * The JSON text of a request and, per event of it, the [start, end) range of each known
 * top-level field's value. One typed array for the whole request: no allocation per event.
 */
export class RawEventsText {
  constructor(
    /** The decoded body. */
    readonly text: string,
    /** Every character is ASCII: a slice's length is its UTF-8 byte count. */
    readonly ascii: boolean,
    private readonly spans: Int32Array,
    /** Events located (the length of the batch, or 1 for a single call). */
    readonly count: number,
  ) {}

  /** The raw JSON of `slot` of event `index` (a valid JSON literal of the parsed value), if present. */
  slice(index: number, slot: number): string | undefined {
    if (index < 0 || index >= this.count) return undefined;
    const at = index * STRIDE + slot * 2;
    const start = this.spans[at] as number;
    if (start < 0) return undefined;
    return this.text.slice(start, this.spans[at + 1]);
  }
}

/**
 * Locates the events of a `/v1/batch` body: the elements of its top-level `batch` array (the
 * last `batch` key, as JSON.parse keeps). `expected` is the length of the parsed array; any
 * disagreement returns undefined.
 */
export function locateBatchEvents(
  text: string,
  ascii: boolean,
  expected: number,
): RawEventsText | undefined {
  return locate(text, ascii, expected, 3);
}

/** Locates the fields of a single call (`/v1/track` etc.): the body is the event. */
export function locateSingleEvent(text: string, ascii: boolean): RawEventsText | undefined {
  return locate(text, ascii, 1, 1);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * One pass over the text with a bracket depth. Events are the objects at `eventDepth` (1: the
 * body itself; 3: the elements of the body's `batch` array). Inside an event, a key is the
 * string after `{` or `,`, its value runs from after `:` to the next `,` or `}` at that depth.
 * Strings are skipped with indexOf (most of a body's bytes are inside strings).
 */
function locate(
  text: string,
  ascii: boolean,
  expected: number,
  eventDepth: 1 | 3,
): RawEventsText | undefined {
  const spans = new Int32Array(expected * STRIDE).fill(-1);
  const length = text.length;
  let depth = 0;
  /** Events started so far (the current one is count - 1). */
  let count = 0;
  /** Inside the batch array that holds the events (always, for a single call). */
  let inEvents = eventDepth === 1;
  /** At depth 1: the last key read was `batch`. */
  let batchKey = false;
  /** At depth 1 or eventDepth: the next string is a key. */
  let expectKey = false;
  /** Slot of the current key of the event (-1: not a field we copy). */
  let slot = -1;
  let valueStart = -1;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return undefined;
      if (expectKey) {
        expectKey = false;
        if (depth === eventDepth && inEvents) slot = slotOf(text, i, end);
        else if (depth === 1) batchKey = keyIs(text, i, end, 'batch');
      }
      i = end - 1;
    } else if (c === COLON) {
      if (depth === eventDepth && inEvents) valueStart = i + 1;
    } else if (c === COMMA) {
      if (depth === eventDepth && inEvents) {
        endValue(text, spans, (count - 1) * STRIDE, slot, valueStart, i);
        slot = -1;
        expectKey = true;
      } else if (depth === 1) expectKey = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth === 2 && eventDepth === 3 && batchKey) {
        // `batch` again (JSON.parse keeps the last): start over.
        inEvents = c === OPEN_ARRAY;
        if (count > 0) spans.fill(-1);
        count = 0;
      }
      if (depth === eventDepth && inEvents && c === OPEN_OBJECT) {
        if (count >= expected) return undefined;
        count++;
        slot = -1;
        expectKey = true;
      } else if (depth === 1) expectKey = c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth === eventDepth && inEvents && c === CLOSE_OBJECT) {
        endValue(text, spans, (count - 1) * STRIDE, slot, valueStart, i);
        slot = -1;
        expectKey = false;
      } else if (depth === 2 && eventDepth === 3 && inEvents) {
        inEvents = false;
        batchKey = false;
      }
      depth--;
    }
    // Anything else (numbers, literals, whitespace) only ends at a `,` or a bracket. A batch
    // element that is not an object is not counted: the count then disagrees with the parsed
    // array and the caller serialises instead.
  }
  if (depth !== 0 || count !== expected) return undefined;
  return new RawEventsText(text, ascii, spans, count);
}

/** Records [valueStart, end) (whitespace trimmed) as the value of `slot` of the event at `base`. */
function endValue(
  text: string,
  spans: Int32Array,
  base: number,
  slot: number,
  valueStart: number,
  end: number,
): void {
  if (slot < 0) return;
  let start = valueStart;
  while (isWs(text.charCodeAt(start))) start++;
  while (end > start && isWs(text.charCodeAt(end - 1))) end--;
  spans[base + slot * 2] = start;
  spans[base + slot * 2 + 1] = end;
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** `i` at an opening quote: the index after the closing one, or -1. */
function stringEnd(text: string, i: number): number {
  for (;;) {
    const q = text.indexOf('"', i + 1);
    if (q < 0) return -1;
    if (text.charCodeAt(q - 1) !== BACKSLASH) return q + 1;
    // A quote preceded by an odd number of backslashes is escaped.
    let k = q - 1;
    while (text.charCodeAt(k) === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q + 1;
    i = q;
  }
}

/**
 * Slot of the key whose string literal spans [start, end) (quotes included), or -1. Keys are
 * compared in place (no string is allocated); a key written with escapes is decoded first.
 */
function slotOf(text: string, start: number, end: number): number {
  const length = end - start - 2;
  const name = candidate(text, start + 1, length);
  if (name !== undefined && text.startsWith(name, start + 1))
    return SLOT_BY_NAME.get(name) as number;
  for (let i = start + 1; i < end - 1; i++) {
    if (text.charCodeAt(i) === BACKSLASH) {
      const decoded: unknown = JSON.parse(text.slice(start, end));
      return typeof decoded === 'string' ? (SLOT_BY_NAME.get(decoded) ?? -1) : -1;
    }
  }
  return -1;
}

/** The known field a key of this length and first character can be. */
function candidate(text: string, at: number, length: number): RawField | undefined {
  const first = text.charCodeAt(at);
  switch (length) {
    case 4:
      return first === 0x74 ? 'type' : first === 0x6e ? 'name' : undefined;
    case 5:
      return first === 0x65 ? 'event' : undefined;
    case 6:
      return first === 0x75
        ? 'userId'
        : first === 0x74
          ? 'traits'
          : first === 0x73
            ? 'sentAt'
            : undefined;
    case 7:
      return first === 0x63 ? 'context' : first === 0x67 ? 'groupId' : undefined;
    case 8:
      return first === 0x63 ? 'category' : undefined;
    case 9:
      return first === 0x6d ? 'messageId' : first === 0x74 ? 'timestamp' : undefined;
    case 10:
      return first !== 0x70
        ? undefined
        : text.charCodeAt(at + 2) === 0x6f
          ? 'properties'
          : 'previousId';
    case 11:
      return first === 0x61 ? 'anonymousId' : undefined;
    case 12:
      return first === 0x69 ? 'integrations' : undefined;
    case 17:
      return first === 0x6f ? 'originalTimestamp' : undefined;
    default:
      return undefined;
  }
}

function keyIs(text: string, start: number, end: number, name: string): boolean {
  if (end - start - 2 === name.length && text.startsWith(name, start + 1)) return true;
  for (let i = start + 1; i < end - 1; i++) {
    if (text.charCodeAt(i) === BACKSLASH) return JSON.parse(text.slice(start, end)) === name;
  }
  return false;
}
