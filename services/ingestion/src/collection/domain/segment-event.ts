import {
  EVENT_TYPES,
  type AcceptedEvent,
  type EventType,
  type JsonObject,
} from '../../events/domain/accepted-event';
import { correctedTimestamp, parseIsoTimestamp } from './timestamp';

/** Why a field of an event is refused. `field` is a dotted path; `$` is the whole event. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface EventLimits {
  /** Largest event, in bytes of its JSON as sent. */
  readonly maxEventBytes: number;
  /** Deepest nesting of objects/arrays inside properties, traits, context, integrations. */
  readonly maxDepth: number;
}

export const DEFAULT_MAX_DEPTH = 32;
/** Longest id (userId, anonymousId, messageId, groupId, previousId) and event name. */
export const MAX_ID_LENGTH = 1024;

/** What every event of one request shares. */
export interface RequestContext {
  readonly workspaceId: string;
  readonly sourceId: string;
  readonly writeKeyId: string;
  readonly receivedAtMs: number;
  /** `receivedAt` as ISO, computed once per request. */
  readonly receivedAt: string;
  /** Batch-level values (already validated), merged into each item. */
  readonly batchSentAtMs?: number;
  readonly batchSentAt?: string;
  readonly batchContext?: JsonObject;
  readonly batchIntegrations?: JsonObject;
  /** The type implied by the path (/v1/track); the item's own `type` is then ignored. */
  readonly impliedType?: EventType;
}

/** The size errors `normalizeEvent` produced (a single call over the limit answers 413). */
const TOO_LARGE = new WeakSet<FieldError>();

/** Whether this error is the event being over `maxEventBytes`. */
export function isTooLargeError(error: FieldError): boolean {
  return TOO_LARGE.has(error);
}

export type NormalizeResult =
  | { readonly ok: true; readonly event: AcceptedEvent }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

type MutableEvent = { -readonly [K in keyof AcceptedEvent]: AcceptedEvent[K] };

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && EVENT_TYPE_SET.has(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates one Segment call and turns it into the accepted-event contract: ids, type-specific
 * required fields, JSON objects (finite numbers, bounded depth and size), timestamps with the
 * client's clock skew removed, batch-level context/integrations merged (item keys win), a
 * generated messageId when the client sent none. Every problem is reported with its field;
 * nothing is thrown for any input.
 */
export function normalizeEvent(
  raw: unknown,
  request: RequestContext,
  limits: EventLimits,
  newMessageId: () => string,
  knownBytes?: number,
): NormalizeResult {
  if (!isPlainObject(raw)) return fail('$', 'must be a JSON object');
  // Scratch reused across calls (this function is synchronous and not re-entrant): a valid event
  // allocates no error list and no size budget; a failure returns a copy.
  const errors = SCRATCH_ERRORS;
  errors.length = 0;

  let type: EventType | undefined = request.impliedType;
  if (type === undefined) {
    const t = raw.type;
    if (t === undefined || t === null) errors.push({ field: 'type', message: 'is required' });
    else if (!isEventType(t))
      errors.push({ field: 'type', message: `must be one of ${EVENT_TYPES.join(', ')}` });
    else type = t;
  }

  const userId = idField(raw.userId, 'userId', errors);
  const anonymousId = idField(raw.anonymousId, 'anonymousId', errors);
  const previousId = idField(raw.previousId, 'previousId', errors);
  const groupId = idField(raw.groupId, 'groupId', errors);
  const messageId = idField(raw.messageId, 'messageId', errors, false);
  const event = stringField(raw.event, 'event', errors);
  const name = stringField(raw.name, 'name', errors);
  const category = stringField(raw.category, 'category', errors);

  if (type === 'alias') {
    if (userId === undefined && raw.userId === undefined)
      errors.push({ field: 'userId', message: 'is required for alias' });
    if (previousId === undefined && raw.previousId === undefined)
      errors.push({ field: 'previousId', message: 'is required for alias' });
  } else if (
    type !== undefined &&
    userId === undefined &&
    anonymousId === undefined &&
    isAbsent(raw.userId) &&
    isAbsent(raw.anonymousId)
  ) {
    errors.push({ field: 'userId', message: 'userId or anonymousId is required' });
  }
  if (type === 'track' && event === undefined && isAbsent(raw.event))
    errors.push({ field: 'event', message: 'is required for track (a non-empty string)' });
  if (type === 'group' && groupId === undefined && isAbsent(raw.groupId))
    errors.push({ field: 'groupId', message: 'is required for group' });

  const budget = SCRATCH_BUDGET;
  budget.low = 0;
  budget.high = 0;
  const properties = objectField(raw.properties, 'properties', errors, limits, budget);
  const traits = objectField(raw.traits, 'traits', errors, limits, budget);
  let context = objectField(raw.context, 'context', errors, limits, budget);
  let integrations = objectField(raw.integrations, 'integrations', errors, limits, budget);

  const originalRaw = raw.originalTimestamp ?? raw.timestamp;
  const originalField = raw.originalTimestamp === undefined ? 'timestamp' : 'originalTimestamp';
  const originalMs = timestampField(originalRaw, originalField, errors);
  if (raw.originalTimestamp !== undefined && raw.timestamp !== undefined)
    timestampField(raw.timestamp, 'timestamp', errors);
  let sentAtMs = timestampField(raw.sentAt, 'sentAt', errors);
  let sentAt = sentAtMs === undefined ? undefined : (raw.sentAt as string);
  if (sentAtMs === undefined && request.batchSentAtMs !== undefined) {
    sentAtMs = request.batchSentAtMs;
    sentAt = request.batchSentAt;
  }

  if (errors.length === 0) {
    const bytes = knownBytes ?? eventBytes(raw, budget, limits.maxEventBytes);
    if (bytes > limits.maxEventBytes) {
      const tooLarge = {
        field: '$',
        message: `event is ${bytes} bytes, more than the limit of ${limits.maxEventBytes}`,
      };
      TOO_LARGE.add(tooLarge);
      errors.push(tooLarge);
    }
  }
  if (errors.length > 0 || type === undefined) {
    const copy = errors.slice();
    errors.length = 0;
    return { ok: false, errors: copy };
  }

  if (request.batchContext !== undefined)
    context =
      context === undefined ? request.batchContext : { ...request.batchContext, ...context };
  if (request.batchIntegrations !== undefined)
    integrations =
      integrations === undefined
        ? request.batchIntegrations
        : { ...request.batchIntegrations, ...integrations };

  const out: MutableEvent = {
    type,
    messageId: messageId ?? newMessageId(),
    workspaceId: request.workspaceId,
    sourceId: request.sourceId,
    writeKeyId: request.writeKeyId,
    timestamp:
      originalMs === undefined && sentAtMs === undefined
        ? request.receivedAt
        : new Date(correctedTimestamp(request.receivedAtMs, originalMs, sentAtMs)).toISOString(),
    receivedAt: request.receivedAt,
  };
  if (userId !== undefined) out.userId = userId;
  if (anonymousId !== undefined) out.anonymousId = anonymousId;
  if (event !== undefined) out.event = event;
  if (name !== undefined) out.name = name;
  if (category !== undefined) out.category = category;
  if (previousId !== undefined) out.previousId = previousId;
  if (groupId !== undefined) out.groupId = groupId;
  if (properties !== undefined) out.properties = properties;
  if (traits !== undefined) out.traits = traits;
  if (context !== undefined) out.context = context;
  if (integrations !== undefined) out.integrations = integrations;
  if (originalMs !== undefined) out.originalTimestamp = originalRaw as string;
  if (sentAt !== undefined) out.sentAt = sentAt;
  return { ok: true, event: out };
}

const SCRATCH_ERRORS: FieldError[] = [];
const SCRATCH_BUDGET: SizeBudget = { low: 0, high: 0 };

/** Validates a batch-level (or request-level) JSON object such as `context`. */
export function validateObject(
  value: unknown,
  field: string,
  limits: EventLimits,
): { value?: JsonObject; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const result = objectField(value, field, errors, limits, { low: 0, high: 0 });
  return result === undefined ? { errors } : { value: result, errors };
}

/** Validates a batch-level `sentAt`. */
export function validateTimestamp(
  value: unknown,
  field: string,
): { ms?: number; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const ms = timestampField(value, field, errors);
  return ms === undefined ? { errors } : { ms, errors };
}

function fail(field: string, message: string): NormalizeResult {
  return { ok: false, errors: [{ field, message }] };
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** Ids are strings (numbers are accepted and turned into strings, as Segment does). */
function idField(
  value: unknown,
  field: string,
  errors: FieldError[],
  allowNumber = true,
): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') {
    if (value.length > MAX_ID_LENGTH)
      errors.push({ field, message: `must be at most ${MAX_ID_LENGTH} characters` });
    return value;
  }
  if (allowNumber && typeof value === 'number' && Number.isFinite(value)) return String(value);
  errors.push({
    field,
    message: allowNumber ? 'must be a string or a number' : 'must be a string',
  });
  return undefined;
}

function stringField(value: unknown, field: string, errors: FieldError[]): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') {
    if (value.length > MAX_ID_LENGTH)
      errors.push({ field, message: `must be at most ${MAX_ID_LENGTH} characters` });
    return value;
  }
  errors.push({ field, message: 'must be a string' });
  return undefined;
}

function timestampField(value: unknown, field: string, errors: FieldError[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    errors.push({ field, message: 'must be an ISO-8601 date-time string' });
    return undefined;
  }
  const ms = parseIsoTimestamp(value);
  if (ms === undefined)
    errors.push({
      field,
      message: 'must be an ISO-8601 date-time between years 1900 and 2299',
    });
  return ms;
}

/** Lower and upper bounds of the JSON bytes seen while walking, to size events cheaply. */
interface SizeBudget {
  low: number;
  high: number;
}

function objectField(
  value: unknown,
  field: string,
  errors: FieldError[],
  limits: EventLimits,
  budget: SizeBudget,
): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    errors.push({ field, message: 'must be a JSON object' });
    return undefined;
  }
  const problem = walk(value, 1, limits.maxDepth, budget);
  if (problem !== undefined) {
    errors.push({ field: `${field}.${problem.path}`, message: problem.message });
    return undefined;
  }
  return value as JsonObject;
}

/**
 * One pass over a parsed JSON value: refuses nesting deeper than `maxDepth` (JSON.stringify and
 * every consumer downstream recurse) and non-finite numbers (JSON.parse turns 1e400 into
 * Infinity, which would be stored as null), and accumulates size bounds. Recursion is bounded by
 * `maxDepth`, so no input can overflow the stack.
 */
function walk(
  value: unknown,
  depth: number,
  maxDepth: number,
  budget: SizeBudget,
): { path: string; message: string } | undefined {
  if (depth > maxDepth) return { path: '', message: `nests deeper than ${maxDepth} levels` };
  if (Array.isArray(value)) {
    budget.low += 2 + value.length;
    budget.high += 2 + value.length;
    for (let i = 0; i < value.length; i++) {
      const p = child(value[i], depth, maxDepth, budget);
      if (p !== undefined) return { path: joinPath(String(i), p.path), message: p.message };
    }
    return undefined;
  }
  const obj = value as Record<string, unknown>;
  budget.low += 2;
  budget.high += 2;
  for (const key in obj) {
    budget.low += key.length + 4;
    budget.high += key.length * 6 + 4;
    const p = child(obj[key], depth, maxDepth, budget);
    if (p !== undefined) return { path: joinPath(key, p.path), message: p.message };
  }
  return undefined;
}

function child(
  v: unknown,
  depth: number,
  maxDepth: number,
  budget: SizeBudget,
): { path: string; message: string } | undefined {
  switch (typeof v) {
    case 'string':
      budget.low += v.length + 2;
      budget.high += v.length * 6 + 2;
      return undefined;
    case 'number':
      if (!Number.isFinite(v)) return { path: '', message: 'is a number out of range' };
      budget.low += 1;
      budget.high += 24;
      return undefined;
    case 'boolean':
      budget.low += 4;
      budget.high += 5;
      return undefined;
    case 'object':
      if (v === null) {
        budget.low += 4;
        budget.high += 4;
        return undefined;
      }
      return walk(v, depth + 1, maxDepth, budget);
    case 'undefined':
    case 'bigint':
    case 'function':
    case 'symbol':
      return { path: '', message: 'is not a JSON value' };
  }
}

function joinPath(head: string, tail: string): string {
  return tail === '' ? head : `${head}.${tail}`;
}

/**
 * Bytes of the event's JSON (the fields this API reads). The walk bounded the object fields;
 * top-level scalars are few and small. Only when the bounds straddle the limit is the event
 * serialised to count exactly, so typical events are never serialised twice.
 */
function eventBytes(raw: Record<string, unknown>, budget: SizeBudget, limit: number): number {
  let low = budget.low + 2;
  let high = budget.high + 2;
  for (const key in raw) {
    const v = raw[key];
    low += key.length + 4;
    high += key.length * 6 + 4;
    if (typeof v === 'string') {
      low += v.length;
      high += v.length * 6;
    } else if (typeof v !== 'object' || v === null) {
      high += 24;
    }
  }
  if (high <= limit || low > limit) return low;
  return Buffer.byteLength(JSON.stringify(raw));
}
