import { uniqueIdentifiers, type Identifier } from './identifier';
import { type IdentityConfig, type SourceKind } from './identity-config';
import { normaliseIdentifier, type RejectedIdentifier } from './normalise-identifier';
import { type Observation } from './observation';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/**
 * The fields of an accepted event (`cdp.ingestion.v1.Event`, canonical JSON) identity reads.
 * Structural on purpose: a service never imports another service's types.
 */
export interface IdentityEventInput {
  readonly type: 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';
  readonly messageId: string;
  readonly workspaceId: string;
  readonly sourceId: string;
  readonly userId?: string;
  readonly anonymousId?: string;
  readonly previousId?: string;
  /** Not read by identity (track event name, page/screen name): kept for fixtures' realism. */
  readonly event?: string;
  readonly name?: string;
  readonly traits?: JsonObject;
  readonly context?: JsonObject;
  readonly properties?: JsonObject;
  /** ISO-8601 UTC, fixed at ingestion. */
  readonly timestamp: string;
}

export interface Extraction {
  readonly observation: Observation;
  /** Values that looked like identifiers and were refused, with the rule that refused them. */
  readonly rejected: readonly RejectedIdentifier[];
}

/**
 * Which parts of an event may carry identifiers of the person who sent it:
 * - identify: its ids, traits and context (the person describes themself);
 * - track/page/screen: its ids, context and configured `properties.*` paths (traits of a
 *   track call do not exist; context is about the sender);
 * - group: its ids and context (group traits describe the account, not the person);
 * - alias: previousId and userId only.
 */
const PATH_ROOTS: Readonly<Record<IdentityEventInput['type'], readonly string[]>> = {
  identify: ['traits', 'context'],
  track: ['context', 'properties'],
  page: ['context', 'properties'],
  screen: ['context', 'properties'],
  group: ['context'],
  alias: [],
};

/** Reads and normalises the identifiers of one accepted event (pure). */
export function extractObservation(
  event: IdentityEventInput,
  config: IdentityConfig,
  sourceKind: SourceKind,
): Extraction {
  const identifiers: Identifier[] = [];
  const rejected: RejectedIdentifier[] = [];
  const read = (type: string, raw: unknown, path: string): void => {
    // Absent (proto3 JSON writes empty strings as absent): nothing to reject.
    if (raw === undefined || raw === '') return;
    const result = normaliseIdentifier(config, type, raw, path);
    if (result.ok) identifiers.push(result.identifier);
    else rejected.push(result.rejected);
  };

  let previousId: string | undefined;
  if (event.type === 'alias') {
    read('user_id', event.userId, 'userId');
    if (event.previousId !== undefined && event.previousId !== '') {
      // Typed at resolution; normalised and junk-checked as an anonymous id would be.
      const result = normaliseIdentifier(config, 'anonymous_id', event.previousId, 'previousId');
      if (result.ok) previousId = result.identifier.value;
      else rejected.push(result.rejected);
    }
  } else {
    read('user_id', event.userId, 'userId');
    read('anonymous_id', event.anonymousId, 'anonymousId');
    const roots = PATH_ROOTS[event.type];
    for (const typeConfig of config.types) {
      for (const path of typeConfig.paths) {
        const [root, ...rest] = path.split('.');
        if (root === undefined || !roots.includes(root)) continue;
        const container =
          root === 'traits' ? event.traits : root === 'context' ? event.context : event.properties;
        const raw = valueAt(container, rest);
        if (raw !== undefined) read(typeConfig.type, raw, path);
      }
    }
    for (const external of externalIds(event.context)) {
      if (config.has(external.type))
        read(external.type, external.id, `context.externalIds[${external.index}]`);
    }
  }

  return {
    observation: {
      workspaceId: event.workspaceId,
      identifiers: uniqueIdentifiers(identifiers),
      ...(previousId === undefined ? {} : { previousId }),
      evidence: {
        source: sourceKind === 'crm' ? 'crm' : sourceKind === 'import' ? 'import' : 'event',
        messageId: event.messageId,
        sourceId: event.sourceId,
        sourceKind,
        observedAt: event.timestamp,
      },
    },
    rejected,
  };
}

function valueAt(container: JsonObject | undefined, path: readonly string[]): Json | undefined {
  let current: Json | undefined = container;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = Object.prototype.hasOwnProperty.call(current, key) ? current[key] : undefined;
  }
  return current;
}

/** Segment's `context.externalIds: [{ id, type, collection, encoding }]`. */
function externalIds(
  context: JsonObject | undefined,
): { id: Json | undefined; type: string; index: number }[] {
  const list = context?.['externalIds'];
  if (!Array.isArray(list)) return [];
  const out: { id: Json | undefined; type: string; index: number }[] = [];
  list.slice(0, 20).forEach((entry, index) => {
    if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
      const type = entry['type'];
      if (typeof type === 'string') out.push({ id: entry['id'], type, index });
    }
  });
  return out;
}
