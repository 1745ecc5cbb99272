// A generated population with a known ground truth, and the events it sends.
//
// Every person browses anonymously on 1-3 own devices, most register (user id + email, from the
// browser), log in on their other devices, some give a phone (from the backend: a server
// source), some a second email, some mistype their email once (a different identifier, tied to
// them only by the device they typed it on), some write their email in another case or with
// spaces (normalisation must join it). Households share a tablet (one anonymous id used by two
// registered people, after both registered). A few events carry the junk real SDKs send
// ("null" user ids, "N/A" emails). Events are ordered by time across people.

/** A seeded PRNG (mulberry32) so that a run can be reproduced. */
export function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const JUNK_USER_IDS = ['null', 'undefined', '0', 'anonymous', '[object Object]'];
const JUNK_EMAILS = ['N/A', 'none', 'null', ' ', 'undefined'];
const START = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;

/**
 * @returns {{ events: object[], owners: Map<string, string>, shared: Set<string> }}
 *   events in time order; owners: canonical identifier key → person; shared: keys used by
 *   several people (no single owner: left out of the pairwise evaluation).
 */
export function generatePopulation({ people, seed, workspaceId }) {
  const random = prng(seed);
  const chance = (p) => random() < p;
  const int = (min, max) => min + Math.floor(random() * (max - min + 1));
  const pick = (items) => items[Math.floor(random() * items.length)];
  const events = [];
  const owners = new Map();
  const shared = new Set();
  let sequence = 0;
  const own = (key, person) => {
    const previous = owners.get(key);
    if (previous !== undefined && previous !== person) shared.add(key);
    else owners.set(key, person);
  };
  const push = (at, fields) => {
    sequence++;
    events.push({
      messageId: `m-${seed}-${sequence}`,
      workspaceId,
      sourceId: 'src_web',
      writeKeyId: 'wk_bench',
      timestamp: new Date(at).toISOString(),
      receivedAt: new Date(at + 300).toISOString(),
      ...fields,
    });
  };

  const registered = [];
  for (let p = 0; p < people; p++) {
    const person = `p${p}`;
    const devices = Array.from({ length: int(1, 3) }, (_, d) => `anon-${p}-${d}`);
    devices.forEach((d) => own(`anonymous_id:${d}`, person));
    const start = START + Math.floor(random() * 60 * DAY);
    let at = start;
    const later = () => (at += int(60_000, 3 * DAY));
    // Anonymous browsing on every device.
    for (const anonymousId of devices)
      for (let i = int(1, 3); i > 0; i--)
        push(later(), { type: 'page', anonymousId, name: 'Catalog', properties: { path: '/' } });
    if (!chance(0.7)) continue;

    const userId = `user-${p}`;
    const email = `first.last${p}@example.com`;
    own(`user_id:${userId}`, person);
    own(`email:${email}`, person);
    const [first, ...others] = devices;
    // Registration from the browser, on the first device.
    push(later(), { type: 'identify', anonymousId: first, userId, traits: { email } });
    for (const anonymousId of others)
      push(later(), { type: 'track', anonymousId, userId, event: 'Signed In' });
    // Email written another way (case, spaces): the same identifier after normalisation.
    if (chance(0.15))
      push(later(), {
        type: 'identify',
        userId,
        traits: { email: `  ${email.toUpperCase()} ` },
      });
    // A phone from the backend (server source), written the way people write it.
    if (chance(0.5)) {
      const local = String(1000 + (p % 9000)).padStart(4, '0');
      const exchange = 200 + (Math.floor(p / 9000) % 700);
      own(`phone:+1415${exchange}${local}`, person);
      push(later(), {
        type: 'identify',
        sourceId: 'src_server',
        userId,
        traits: { phone: pick([`+1 415 ${exchange} ${local}`, `+1 (415) ${exchange}-${local}`]) },
      });
    }
    if (chance(0.2)) {
      const work = `p${p}.work@corp.example`;
      own(`email:${work}`, person);
      push(later(), { type: 'identify', userId, traits: { email: work } });
    }
    // A mistyped email in a form on one device: tied to the person only through that device.
    if (chance(0.03)) {
      const typo = `first.lsat${p}@exmaple.com`;
      own(`email:${typo}`, person);
      push(later(), { type: 'identify', anonymousId: pick(devices), traits: { email: typo } });
    }
    // Junk values real SDKs send: never identifiers, never glue people together.
    if (chance(0.05))
      push(later(), {
        type: 'identify',
        anonymousId: first,
        userId: pick(JUNK_USER_IDS),
        traits: { email: pick(JUNK_EMAILS) },
      });
    for (let i = int(1, 4); i > 0; i--)
      push(later(), {
        type: 'track',
        anonymousId: pick(devices),
        ...(chance(0.5) ? { userId } : {}),
        event: 'Product Viewed',
        properties: { sku: `sku-${int(1, 500)}` },
      });
    registered.push({ person, userId, at });
  }

  // Households: two registered people share a tablet, after both registered.
  const end = START + 120 * DAY;
  for (let i = 0; i + 1 < registered.length; i += 2) {
    if (!chance(0.1)) continue;
    const tablet = `tablet-${i}`;
    for (const member of [registered[i], registered[i + 1]]) {
      own(`anonymous_id:${tablet}`, member.person);
      const at = Math.max(end, member.at) + int(1, 10) * DAY;
      push(at, { type: 'page', anonymousId: tablet, name: 'Home' });
      push(at + 60_000, {
        type: 'track',
        anonymousId: tablet,
        userId: member.userId,
        event: 'Signed In',
      });
    }
  }

  events.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
  return { events, owners, shared };
}

/** The canonical identifier keys an event's truth links (what the rules could join). */
export function truthKeys(event) {
  const keys = [];
  const junkUser = JUNK_USER_IDS.includes(event.userId);
  if (event.userId !== undefined && !junkUser) keys.push(`user_id:${event.userId}`);
  if (event.anonymousId !== undefined) keys.push(`anonymous_id:${event.anonymousId}`);
  const email = event.traits?.email;
  if (typeof email === 'string' && email.includes('@'))
    keys.push(`email:${email.trim().toLowerCase()}`);
  const phone = event.traits?.phone;
  if (typeof phone === 'string') keys.push(`phone:+${phone.replace(/\D/g, '')}`);
  return keys;
}

/**
 * Pairwise precision and recall of "same person". Precision: of the identifier pairs put on one
 * profile, the share that belong to one person. Recall: of the pairs the rules can resolve
 * deterministically (connected by identifiers seen together in the person's own events, shared
 * devices left out), the share put on one profile.
 */
export function pairwiseQuality({ events, owners, shared }, profileOf) {
  const parent = new Map();
  const find = (k) => {
    let r = k;
    while (parent.get(r) !== r) r = parent.get(r);
    let c = k;
    while (parent.get(c) !== r) {
      const next = parent.get(c);
      parent.set(c, r);
      c = next;
    }
    return r;
  };
  for (const event of events) {
    const keys = truthKeys(event).filter((k) => !shared.has(k));
    for (const k of keys) if (!parent.has(k)) parent.set(k, k);
    for (const k of keys.slice(1)) {
      const a = find(k);
      const b = find(keys[0]);
      if (a !== b) parent.set(a, b);
    }
  }
  const pairs = (counts) => {
    let total = 0;
    for (const n of counts.values()) total += (n * (n - 1)) / 2;
    return total;
  };
  const byProfile = new Map();
  const byProfilePerson = new Map();
  const byComponent = new Map();
  const byComponentProfile = new Map();
  let missing = 0;
  for (const key of parent.keys()) {
    const profile = profileOf(key);
    const person = owners.get(key);
    const component = find(key);
    byComponent.set(component, (byComponent.get(component) ?? 0) + 1);
    if (profile === undefined) {
      missing++;
      continue;
    }
    byProfile.set(profile, (byProfile.get(profile) ?? 0) + 1);
    const cell = `${profile}\u0000${person}`;
    byProfilePerson.set(cell, (byProfilePerson.get(cell) ?? 0) + 1);
    const resolvable = `${component}\u0000${profile}`;
    byComponentProfile.set(resolvable, (byComponentProfile.get(resolvable) ?? 0) + 1);
  }
  const predicted = pairs(byProfile);
  const correct = pairs(byProfilePerson);
  const resolvable = pairs(byComponent);
  const found = pairs(byComponentProfile);
  return {
    identifiers: parent.size,
    sharedIdentifiers: shared.size,
    missingIdentifiers: missing,
    predictedPairs: predicted,
    resolvablePairs: resolvable,
    precision: predicted === 0 ? 1 : correct / predicted,
    recall: resolvable === 0 ? 1 : found / resolvable,
  };
}
