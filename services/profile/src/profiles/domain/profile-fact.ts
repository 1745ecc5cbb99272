import { isJsonObject, valueAt, type Json, type JsonObject } from './json';
import { leafWrites, type Provenance, type TraitWrite } from './trait-register';

/** An identifier an event carried (same types and normalisation as identity, roughly). */
export interface FactIdentifier {
  readonly type: string;
  readonly value: string;
}

/**
 * What one input contributes to a profile: the unit of idempotency (one per message id), of
 * re-derivation (a split replays the facts of each part) and of the manual-edit log.
 */
export interface ProfileFact {
  readonly messageId: string;
  /** `event`: a behavioral/CRM event (counts in computed traits); `manual`: an API edit. */
  readonly kind: 'event' | 'manual';
  /** Event time, ISO-8601 UTC. */
  readonly at: string;
  /** Segment call type (`track`, `page`, `identify`, …); `manual` for edits. */
  readonly type: string;
  /** Event name for track calls, the call type otherwise: the key of `event_counts`. */
  readonly eventKey: string;
  readonly writes: readonly TraitWrite[];
  /** Properties of track events (orders, custom computed traits). */
  readonly properties?: JsonObject;
  readonly sessionId?: string;
  readonly channel?: string;
  readonly device?: string;
  /** What links the fact to a person, so a split can hand it to the right part. */
  readonly identifiers: readonly FactIdentifier[];
}

/** The fields of a resolved event (canonical JSON of cdp.ingestion.v1.Event) a fact reads. */
export interface ResolvedEventInput {
  readonly type: string;
  readonly messageId: string;
  readonly timestamp: string;
  readonly sourceId?: string | undefined;
  readonly userId?: string | undefined;
  readonly anonymousId?: string | undefined;
  readonly event?: string | undefined;
  readonly traits?: JsonObject | undefined;
  readonly properties?: JsonObject | undefined;
  readonly context?: JsonObject | undefined;
}

/** Source id identity stamps on the synthetic identify of a CRM contact change. */
export const CRM_SOURCE_ID = 'crm';

const SET = '$set';
const SET_ONCE = '$set_once';
const UNSET = '$unset';

/**
 * Trait writes of a traits object. Conventions (PostHog-style, documented in the README):
 * plain keys and `$set: {...}` set; `$set_once: {...}` only fills gaps; `$unset: ["a", "b.c"]`
 * removes; `null` removes; other `$`-keys are ignored.
 */
export function traitWrites(traits: JsonObject, provenance: Provenance): TraitWrite[] {
  const plain: JsonObject = {};
  const writes: TraitWrite[] = [];
  for (const [key, value] of Object.entries(traits)) {
    if (key === SET && isJsonObject(value)) writes.push(...leafWrites(value, provenance));
    else if (key === SET_ONCE && isJsonObject(value))
      writes.push(...leafWrites(value, provenance, { setOnce: true }));
    else if (key === UNSET) {
      const paths = Array.isArray(value) ? value : [value];
      for (const path of paths)
        if (typeof path === 'string' && path.length > 0)
          writes.push({ path, unset: true, ...provenance });
    } else if (!key.startsWith('$')) plain[key] = value;
  }
  return [...leafWrites(plain, provenance), ...writes];
}

function text(value: Json | undefined): string | undefined {
  if (typeof value === 'string' && value.trim().length > 0) return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

const MOBILE_OS = /^(ios|android|ipados|watchos|tvos)$/i;
const MOBILE_UA = /Mobile|Android|iPhone|iPad|iPod/;

/**
 * The channel of an event: `context.channel` when the SDK says (RudderStack does), else
 * `crm` for CRM echoes, `mobile` for app/mobile-OS events and screens, `web` for pages and
 * browser events, `server` for the rest.
 */
export function channelOf(event: ResolvedEventInput): string {
  const context = event.context ?? {};
  const stated = text(context['channel']);
  if (stated) return stated.toLowerCase();
  if (event.sourceId === CRM_SOURCE_ID) return 'crm';
  const os = text(valueAt(context, 'os.name'));
  if (event.type === 'screen' || isJsonObject(context['app']) || (os && MOBILE_OS.test(os)))
    return 'mobile';
  if (event.type === 'page' || isJsonObject(context['page']) || text(context['userAgent']))
    return 'web';
  return 'server';
}

/**
 * The device of an event: `context.device.id`, else the device type, else a coarse class from
 * the user agent (`mobile-browser` / `desktop-browser`). Undefined for server-side events.
 */
export function deviceOf(event: ResolvedEventInput): string | undefined {
  const context = event.context ?? {};
  const id = text(valueAt(context, 'device.id'));
  if (id) return id;
  const type = text(valueAt(context, 'device.type'));
  if (type) return type.toLowerCase();
  const agent = text(context['userAgent']);
  if (agent) return MOBILE_UA.test(agent) ? 'mobile-browser' : 'desktop-browser';
  return undefined;
}

/** Session id: `context.sessionId` / `context.session_id` / `properties.session_id` (Amplitude). */
function sessionOf(event: ResolvedEventInput): string | undefined {
  const context = event.context ?? {};
  return (
    text(context['sessionId']) ??
    text(context['session_id']) ??
    text(event.properties?.['session_id']) ??
    text(event.properties?.['sessionId'])
  );
}

function identifiersOf(event: ResolvedEventInput, traits: JsonObject): FactIdentifier[] {
  const ids: FactIdentifier[] = [];
  const add = (type: string, value: string | undefined): void => {
    if (value) ids.push({ type, value });
  };
  add('user_id', text(event.userId));
  add('anonymous_id', text(event.anonymousId));
  add('email', text(traits['email'])?.toLowerCase());
  add('phone', text(traits['phone']));
  if (event.sourceId === CRM_SOURCE_ID)
    add('crm_contact_id', text(valueAt(event.context, 'crm.aggregateId')));
  return ids;
}

/** Normalises a time to ISO-8601 UTC with milliseconds (so strings compare as times). */
export function isoTime(value: string | Date): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/**
 * The fact of a resolved event. Traits come from `traits` (identify) and `context.traits` (any
 * call, Segment's way of restating who the user is); group traits describe an account and are
 * not the person's. CRM echoes (`sourceId = 'crm'`) carry provenance `crm` with the contact id.
 */
export function factFromEvent(event: ResolvedEventInput): ProfileFact {
  const at = isoTime(event.timestamp);
  const crm = event.sourceId === CRM_SOURCE_ID;
  const provenance: Provenance = crm
    ? {
        sourceType: 'crm',
        sourceId: text(valueAt(event.context, 'crm.aggregateId')) ?? event.messageId,
        observedAt: at,
      }
    : { sourceType: 'event', sourceId: event.messageId, observedAt: at };
  const contextTraits = valueAt(event.context, 'traits');
  const own = event.type === 'identify' && event.traits ? event.traits : {};
  const restated = event.type !== 'group' && isJsonObject(contextTraits) ? contextTraits : {};
  const writes = [...traitWrites(restated, provenance), ...traitWrites(own, provenance)];
  const sessionId = sessionOf(event);
  const device = deviceOf(event);
  const eventKey = event.type === 'track' ? (text(event.event) ?? 'track') : event.type;
  return {
    messageId: event.messageId,
    kind: 'event',
    at,
    type: event.type,
    eventKey,
    writes,
    ...(event.type === 'track' && event.properties ? { properties: event.properties } : {}),
    ...(sessionId ? { sessionId } : {}),
    channel: channelOf(event),
    ...(device ? { device } : {}),
    identifiers: identifiersOf(event, { ...restated, ...own }),
  };
}

/** The fact of a manual edit through the API (provenance `manual`, source = the API key). */
export function manualFact(input: {
  messageId: string;
  at: Date;
  keyId: string;
  set?: JsonObject | undefined;
  setOnce?: JsonObject | undefined;
  unset?: readonly string[] | undefined;
}): ProfileFact {
  const at = isoTime(input.at);
  const provenance: Provenance = { sourceType: 'manual', sourceId: input.keyId, observedAt: at };
  const writes = [
    ...leafWrites(input.set ?? {}, provenance),
    ...leafWrites(input.setOnce ?? {}, provenance, { setOnce: true }),
    ...(input.unset ?? []).map((path): TraitWrite => ({ path, unset: true, ...provenance })),
  ];
  return {
    messageId: input.messageId,
    kind: 'manual',
    at,
    type: 'manual',
    eventKey: 'manual',
    writes,
    identifiers: [],
  };
}
