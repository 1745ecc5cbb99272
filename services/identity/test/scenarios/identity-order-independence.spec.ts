import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type IdentityEventInput } from '../../src/resolution/domain/extract-observation';
import { WORKSPACE, identityHarness } from '../support/identity-fixtures';

/**
 * What holds for ANY order. Limits and source trust are order-dependent by nature ("the first
 * person on a shared device keeps it"), so two invariants are proved:
 * 1. Conflict-free histories (people share no identifier, no limit can be reached, links come
 *    from trusted sources): the graph is the same for every order and any duplicates, and it
 *    equals the ground truth (the connected components of identifiers seen together).
 * 2. Any history (shared devices and anonymous ids, browser and server sources, duplicates):
 *    whatever the order, every identifier is on exactly one profile, no profile exceeds a
 *    limit (so never two user ids), every event's kept identifiers resolve to one profile,
 *    and a redelivery (the same event again right after itself) changes nothing. Replaying the
 *    whole history later is NOT a no-op in general (a browser link refused while two profiles
 *    were known may be accepted once a later event has merged them): it is monotone instead,
 *    it only ever merges, never splits, and the safety properties still hold.
 */
const PEOPLE = 5;
type Spec = {
  person: number;
  type: IdentityEventInput['type'];
  ids: number[];
  source: string;
  shared?: number;
};

const eventOf = (spec: Spec, index: number, sharing: boolean): IdentityEventInput => {
  const p = spec.person;
  const has = (n: number) => spec.ids.includes(n);
  const traits: Record<string, string> = {};
  if (has(2)) traits['email'] = `p${p}-a@x.io`;
  if (has(3)) traits['email'] = `P${p}-b@X.io`;
  if (has(4)) traits['phone'] = `+1415555${String(2600 + p)}`;
  const shared = sharing && spec.shared !== undefined;
  return {
    type: spec.type,
    messageId: `m${index}`,
    workspaceId: WORKSPACE,
    sourceId: spec.source,
    timestamp: new Date(Date.UTC(2025, 0, 1) + index * 1000).toISOString(),
    ...(has(0) ? { userId: `user-${p}` } : {}),
    ...(has(1)
      ? { anonymousId: shared ? `shared-anon-${spec.shared}` : `anon-${p}-${spec.ids.length}` }
      : {}),
    ...(spec.type === 'identify' ? { traits } : {}),
    ...(has(5)
      ? { context: { device: { id: shared ? `shared-dev-${spec.shared}` : `dev-${p}` } } }
      : {}),
  };
};

const specArb = (sources: string[]) =>
  fc.record({
    person: fc.integer({ min: 0, max: PEOPLE - 1 }),
    type: fc.constantFrom<IdentityEventInput['type']>('identify', 'track', 'page'),
    ids: fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }),
    source: fc.constantFrom(...sources),
    shared: fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }),
  });

/** A permutation of the history with some events delivered twice. */
const deliveryArb = (length: number) =>
  fc.tuple(
    fc.array(fc.integer({ min: 0, max: Math.max(0, length - 1) }), { maxLength: 5 }),
    fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
  );

function deliver<T>(items: readonly T[], duplicates: number[], keys: fc.Stream<number>): T[] {
  const all = [...items, ...duplicates.flatMap((i) => (items[i] === undefined ? [] : [items[i]]))];
  const weights = [...keys.take(all.length)];
  return all
    .map((item, i) => ({ item, w: weights[i] ?? 0 }))
    .sort((a, b) => a.w - b.w)
    .map((x) => x.item);
}

async function graphOf(
  events: readonly IdentityEventInput[],
  config = { customTypes: [{ type: 'device_id' }] },
) {
  const harness = identityHarness(config);
  const results = [];
  for (const e of events) results.push(await harness.events.execute({ event: e }));
  return { ...harness, results };
}

function truth(
  events: readonly IdentityEventInput[],
  resolvedKeys: (e: IdentityEventInput) => string[],
): string[][] {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    while (parent.get(k) !== k) k = parent.get(k) ?? k;
    return k;
  };
  for (const e of events) {
    const keys = resolvedKeys(e);
    for (const k of keys) if (!parent.has(k)) parent.set(k, k);
    for (const k of keys.slice(1)) parent.set(find(k), find(keys[0]!));
  }
  const groups = new Map<string, string[]>();
  for (const k of parent.keys()) groups.set(find(k), [...(groups.get(find(k)) ?? []), k]);
  return [...groups.values()]
    .map((g) => g.sort())
    .sort((a, b) => (a.join('|') < b.join('|') ? -1 : 1));
}

test('conflict-free histories: same graph for any order and duplicates, equal to the truth', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc
        .array(specArb(['src_backend', 'src_crm']), { minLength: 1, maxLength: 25 })
        .chain((specs) =>
          fc.tuple(fc.constant(specs), deliveryArb(specs.length), deliveryArb(specs.length)),
        ),
      async ([specs, [dupA, keysA], [dupB, keysB]]) => {
        const history = specs.map((s, i) => eventOf(s, i, false));
        const a = await graphOf(deliver(history, dupA, keysA));
        const b = await graphOf(deliver(history, dupB, keysB));
        const componentsA = a.graph.components(WORKSPACE);
        assert.deepEqual(componentsA, b.graph.components(WORKSPACE));
        const ref = await graphOf(history);
        const keysOf = new Map(
          ref.results.map((r, i) => [
            history[i]!.messageId,
            r.plan.resolved.map((x) => `${x.type}:${x.value}`),
          ]),
        );
        assert.deepEqual(
          componentsA,
          truth(history, (e) => keysOf.get(e.messageId) ?? []),
        );
        assert.ok(a.graph.conflicts(WORKSPACE).length === 0);
      },
    ),
    { numRuns: 150 },
  );
});

test('any history: one profile per identifier, limits hold, redelivery is a no-op', async () => {
  const safe = (graph: Awaited<ReturnType<typeof graphOf>>['graph']): string[][] => {
    const components = graph.components(WORKSPACE);
    const all = components.flat();
    assert.equal(new Set(all).size, all.length, 'every identifier on exactly one profile');
    for (const component of components) {
      const count = (type: string) => component.filter((k) => k.startsWith(`${type}:`)).length;
      assert.ok(count('user_id') <= 1, `one user id: ${component.join(', ')}`);
      for (const type of ['email', 'phone', 'anonymous_id', 'device_id'])
        assert.ok(count(type) <= 5);
    }
    return components;
  };
  await fc.assert(
    fc.asyncProperty(
      fc
        .array(specArb(['src_web', 'src_app', 'src_backend']), { minLength: 1, maxLength: 30 })
        .chain((specs) =>
          fc.tuple(fc.constant(specs), deliveryArb(specs.length), deliveryArb(specs.length)),
        ),
      async ([specs, [dup, keys], [dupReplay, keysReplay]]) => {
        const history = specs.map((s, i) => eventOf(s, i, true));
        const order = deliver(history, dup, keys);
        const { graph, events, results } = await graphOf(order);
        const components = safe(graph);
        for (const result of results) {
          if (result.profileId === null) continue;
          const owners = new Set(result.plan.resolved.map((i) => graph.profileOf(WORKSPACE, i)));
          assert.deepEqual([...owners], [graph.canonical(WORKSPACE, result.profileId)]);
        }

        const redelivered = await graphOf(order.flatMap((e) => [e, e]));
        assert.deepEqual(
          redelivered.graph.components(WORKSPACE),
          components,
          'redelivery is a no-op',
        );

        for (const e of deliver(history, dupReplay, keysReplay)) await events.execute({ event: e });
        const after = safe(graph);
        for (const component of components)
          assert.ok(
            after.some((c) => component.every((k) => c.includes(k))),
            'a replay only merges, never splits',
          );
      },
    ),
    { numRuns: 150 },
  );
});

test('micro-batches: resolving a history in chunks gives the graph of resolving it event by event', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(specArb(['src_web', 'src_app', 'src_backend']), { minLength: 1, maxLength: 40 }),
      fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 10 }),
      fc.boolean(),
      async (specs, chunkSizes, duplicated) => {
        const history = specs.map((s, i) => eventOf(s, i, true));
        const order = duplicated
          ? history.flatMap((e, i) => (i % 3 === 0 ? [e, e] : [e]))
          : history;
        const config = { customTypes: [{ type: 'device_id' }] };
        const single = await graphOf(order, config);
        const batched = identityHarness(config);
        const batchResults = [];
        for (let start = 0, c = 0; start < order.length; c++) {
          const size = chunkSizes[c % chunkSizes.length]!;
          const chunk = order.slice(start, start + size);
          start += size;
          const { results } = await batched.batches.execute({
            workspaceId: WORKSPACE,
            events: chunk,
          });
          batchResults.push(...results);
        }
        // The same graph: same components, same conflicts, as many merges (profile ids differ:
        // the batch draws ids only for observations that may create a profile).
        assert.deepEqual(batched.graph.components(WORKSPACE), single.graph.components(WORKSPACE));
        const conflictKeys = (graph: typeof single.graph) =>
          graph
            .conflicts(WORKSPACE)
            .map((c) => `${c.rule} ${c.evidence.messageId} ${c.dropped.type}:${c.dropped.value}`)
            .sort();
        assert.deepEqual(conflictKeys(batched.graph), conflictKeys(single.graph));
        assert.equal(batched.graph.merges(WORKSPACE).length, single.graph.merges(WORKSPACE).length);
        // Each event resolves to the same person, and its kept identifiers are on that profile.
        const componentOf = (graph: typeof single.graph, id: string | null) => {
          if (id === null) return null;
          const canonical = graph.canonical(WORKSPACE, id);
          const profile = graph.profiles(WORKSPACE).find((p) => p.id === canonical);
          return [...(profile?.identifiers.keys() ?? [])].sort().join('|');
        };
        batchResults.forEach((result, i) => {
          assert.equal(
            componentOf(batched.graph, result.profileId),
            componentOf(single.graph, single.results[i]!.profileId),
          );
          assert.deepEqual(result.resolved, single.results[i]!.plan.resolved);
          for (const identifier of result.resolved)
            assert.equal(
              batched.graph.profileOf(WORKSPACE, identifier),
              batched.graph.canonical(WORKSPACE, result.profileId ?? ''),
            );
        });
      },
    ),
    { numRuns: 200 },
  );
});
