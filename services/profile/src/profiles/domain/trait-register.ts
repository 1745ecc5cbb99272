import { compareStrings, isJsonObject, type Json, type JsonObject } from './json';

/** Where a trait value comes from (proto `TraitSourceType` without the prefix). */
export type TraitSourceType = 'event' | 'crm' | 'import' | 'manual' | 'computed';

export interface Provenance {
  readonly sourceType: TraitSourceType;
  /** Event message id, CRM aggregate id, API key id, computed trait id. */
  readonly sourceId: string;
  /** When the source observed the value (event time, not arrival time), ISO-8601 UTC. */
  readonly observedAt: string;
}

/**
 * One write to one trait path (dotted: `address.city`). `unset` is a tombstone (it must stay so
 * that an older, late set cannot bring the value back); `setOnce` writes only fill a gap.
 */
export interface TraitWrite extends Provenance {
  readonly path: string;
  readonly value?: Json;
  readonly unset?: true;
  readonly setOnce?: true;
}

/** What a profile holds per trait path: the winning write. */
export type TraitRegister = Omit<TraitWrite, 'path'>;

/** Equal times are broken by source: a person's edit beats the CRM, which beats an import, … */
const SOURCE_RANK: Readonly<Record<TraitSourceType, number>> = {
  computed: 0,
  event: 1,
  import: 2,
  crm: 3,
  manual: 4,
};

/**
 * Whether write `a` beats write `b` for the same path. This is a total order, so the winner of a
 * set of writes is their maximum whatever order they arrive in, and applying one twice changes
 * nothing (what makes the projection order-safe and idempotent):
 * - a regular write (set or unset) beats any set-once write;
 * - among regular writes the latest event time wins (last write wins by EVENT time);
 * - among set-once writes the earliest event time wins (the first value ever seen);
 * - ties: source rank, then source id (then unset, then the greater value).
 */
export function beats(a: TraitRegister, b: TraitRegister): boolean {
  const aOnce = a.setOnce === true;
  const bOnce = b.setOnce === true;
  if (aOnce !== bOnce) return !aOnce;
  const time = compareStrings(a.observedAt, b.observedAt);
  if (time !== 0) return aOnce ? time < 0 : time > 0;
  const rank = SOURCE_RANK[a.sourceType] - SOURCE_RANK[b.sourceType];
  if (rank !== 0) return rank > 0;
  const id = compareStrings(a.sourceId, b.sourceId);
  if (id !== 0) return aOnce ? id < 0 : id > 0;
  // One source wrote the path twice at the same instant (`{plan: x, $set: {plan: y}}`): an
  // unset wins, then the greater value, so that even this is independent of order.
  if ((a.unset === true) !== (b.unset === true)) return a.unset === true;
  return compareStrings(JSON.stringify(a.value ?? null), JSON.stringify(b.value ?? null)) > 0;
}

/** Applies a write to the registers (in place); returns whether it won. */
export function applyWrite(registers: Record<string, TraitRegister>, write: TraitWrite): boolean {
  const { path, ...register } = write;
  const current = registers[path];
  if (current !== undefined && !beats(register, current)) return false;
  registers[path] = register;
  return true;
}

/** Joins `from` into `into` (in place): per path, the winner of both. */
export function joinRegisters(
  into: Record<string, TraitRegister>,
  from: Readonly<Record<string, TraitRegister>>,
): void {
  for (const [path, register] of Object.entries(from)) applyWrite(into, { path, ...register });
}

/**
 * Turns a (possibly nested) trait object into one write per leaf: nested objects are merged
 * leaf by leaf ("deep merge"), arrays and empty objects are leaves, `null` is an unset. A dotted
 * key is the same as nesting (`{"address.city": "X"}` = `{address: {city: "X"}}`).
 */
export function leafWrites(
  traits: JsonObject,
  provenance: Provenance,
  options: { setOnce?: boolean } = {},
  prefix = '',
): TraitWrite[] {
  const writes: TraitWrite[] = [];
  for (const [key, value] of Object.entries(traits)) {
    if (key.length === 0) continue;
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (isJsonObject(value) && Object.keys(value).length > 0) {
      writes.push(...leafWrites(value, provenance, options, path));
    } else if (value === null) {
      // A set-once null would "fill the gap with nothing": meaningless, so skipped.
      if (!options.setOnce) writes.push({ path, unset: true, ...provenance });
    } else {
      writes.push({ path, value, ...provenance, ...(options.setOnce ? { setOnce: true } : {}) });
    }
  }
  return writes;
}

function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`);
}

function ancestors(path: string): string[] {
  const parts = path.split('.');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('.'));
}

/**
 * The traits object the registers describe. A tombstone hides the values it beats at its path
 * and below; when a value path and a deeper one collide (`address` = "Main St" and
 * `address.city` = "X"), the one that wins shows. Same registers → same object, in any order.
 */
export function materialize(registers: Readonly<Record<string, TraitRegister>>): JsonObject {
  const entries = Object.entries(registers).sort(([pa, a], [pb, b]) =>
    beats(a, b) ? -1 : beats(b, a) ? 1 : compareStrings(pa, pb),
  );
  const tombstones: string[] = [];
  const leaves = new Set<string>();
  const containers = new Set<string>();
  const root: JsonObject = {};
  for (const [path, register] of entries) {
    if (register.unset) {
      tombstones.push(path);
      continue;
    }
    if (tombstones.some((t) => isUnder(path, t))) continue;
    const parents = ancestors(path);
    if (leaves.has(path) || containers.has(path) || parents.some((p) => leaves.has(p))) continue;
    let node = root;
    for (const parent of parents) {
      const key = parent.slice(parent.lastIndexOf('.') + 1);
      const child = node[key];
      if (isJsonObject(child)) node = child;
      else node = node[key] = {};
      containers.add(parent);
    }
    node[path.slice(path.lastIndexOf('.') + 1)] = register.value ?? null;
    leaves.add(path);
  }
  return root;
}

/** The register that best explains the top-level trait `key` (its latest write). */
export function provenanceOf(
  registers: Readonly<Record<string, TraitRegister>>,
  key: string,
): Provenance | undefined {
  let best: TraitRegister | undefined;
  for (const [path, register] of Object.entries(registers)) {
    if (!isUnder(path, key)) continue;
    if (best === undefined || compareStrings(register.observedAt, best.observedAt) > 0)
      best = register;
  }
  return (
    best && {
      sourceType: best.sourceType,
      sourceId: best.sourceId,
      observedAt: best.observedAt,
    }
  );
}
