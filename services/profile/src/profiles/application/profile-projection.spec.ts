import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type CustomTraitDefinition } from '../domain/custom-trait';
import { type ResolvedEventInput } from '../domain/profile-fact';
import { deriveProfile, publishedValues, type ProfileState } from '../domain/profile-state';
import { factFromEvent } from '../domain/profile-fact';
import { ApplyResolvedEventsUseCase } from './apply-resolved-events.use-case';
import { EditTraitsUseCase } from './edit-traits.use-case';
import { InMemoryProfileStore } from './in-memory-profile-store';
import { MergeProfilesUseCase } from './merge-profiles.use-case';
import { SplitProfileUseCase } from './split-profile.use-case';

const WS = 'ws_1';
const at = (d: number): string => new Date(Date.UTC(2025, 0, d)).toISOString();
type Stamped = ResolvedEventInput & { profileId: string };
let n = 0;
const ev = (
  profileId: string,
  d: number,
  fields: Partial<ResolvedEventInput> & { type: string },
): Stamped => ({
  profileId,
  messageId: `m-${++n}`,
  timestamp: at(d),
  ...fields,
});

const ltv: CustomTraitDefinition = {
  key: 'ltv',
  aggregation: 'sum',
  event: 'Order Completed',
  property: 'total',
};

function setup(definitions: CustomTraitDefinition[] = [ltv]) {
  const store = new InMemoryProfileStore();
  const defs = { definitions: () => Promise.resolve(definitions) };
  return {
    store,
    apply: new ApplyResolvedEventsUseCase(store, defs),
    merge: new MergeProfilesUseCase(store, defs),
    split: new SplitProfileUseCase(store, defs),
    edit: new EditTraitsUseCase(store, defs),
    profile: (id: string): ProfileState | undefined => store.workspace(WS).profiles.get(id),
    values: (id: string) => {
      const p = store.workspace(WS).profiles.get(id);
      return p ? Object.fromEntries(publishedValues(p, definitions)) : undefined;
    },
  };
}

test('a batch is applied once: the same events again change nothing and publish nothing', async () => {
  const s = setup();
  const events = [
    ev('p1', 1, { type: 'identify', userId: 'u1', traits: { plan: 'free' } }),
    ev('p1', 2, {
      type: 'track',
      userId: 'u1',
      event: 'Order Completed',
      properties: { total: 10 },
    }),
    ev('p2', 2, { type: 'page', anonymousId: 'a2' }),
  ];
  const first = await s.apply.execute({ workspaceId: WS, events });
  assert.equal(first.applied, 3);
  assert.deepEqual(
    first.updates.map((u) => [u.profileId, u.version]),
    [
      ['p1', 1],
      ['p2', 1],
    ],
  );
  const before = structuredClone(s.store.workspace(WS).profiles);
  const again = await s.apply.execute({ workspaceId: WS, events });
  assert.equal(again.applied, 0);
  assert.equal(again.duplicates, 3);
  assert.deepEqual(again.updates, []);
  assert.deepEqual(s.store.workspace(WS).profiles, before);
  const update = first.updates[0];
  const plan = update?.changes.find((c) => c.key === 'plan');
  assert.deepEqual(plan, {
    key: 'plan',
    operation: 'set',
    value: 'free',
    provenance: { sourceType: 'event', sourceId: events[0]?.messageId, observedAt: at(1) },
  });
  assert.ok(update?.changes.some((c) => c.key === 'computed.ltv' && c.value === 10));
  assert.ok(update?.changes.some((c) => c.key === 'computed.orders_count' && c.value === 1));
});

test('an update carries only the diff; version +1 per update', async () => {
  const s = setup();
  await s.apply.execute({
    workspaceId: WS,
    events: [ev('p1', 1, { type: 'identify', traits: { plan: 'free', name: 'Ivan' } })],
  });
  const second = await s.apply.execute({
    workspaceId: WS,
    events: [ev('p1', 2, { type: 'identify', traits: { plan: 'pro', name: 'Ivan' } })],
  });
  const [update] = second.updates;
  assert.equal(update?.version, 2);
  const keys = update?.changes.map((c) => c.key) ?? [];
  assert.ok(keys.includes('plan') && !keys.includes('name'), 'unchanged traits are not sent');
  assert.deepEqual(update?.changes.find((c) => c.key === 'plan')?.previousValue, 'free');
});

test('merge: B absorbs A with event-time precedence; A answers as an alias; events on A go to B', async () => {
  const s = setup();
  await s.apply.execute({
    workspaceId: WS,
    events: [
      ev('A', 5, { type: 'identify', anonymousId: 'a', traits: { plan: 'pro', city: 'Kazan' } }),
      ev('A', 6, {
        type: 'track',
        anonymousId: 'a',
        event: 'Order Completed',
        properties: { total: 5 },
      }),
      ev('B', 1, { type: 'identify', userId: 'u', traits: { plan: 'free', email: 'i@x.example' } }),
      ev('B', 9, { type: 'identify', userId: 'u', traits: { city: 'Moscow' } }),
    ],
  });
  await s.merge.execute({
    workspaceId: WS,
    messageId: 'merge-1',
    survivingProfileId: 'B',
    mergedProfileIds: ['A'],
    at: at(10),
  });
  const b = s.values('B');
  assert.equal(b?.['plan'], 'pro', "A's newer plan wins");
  assert.equal(b?.['city'], 'Moscow', "B's newer city stays");
  assert.equal(b?.['email'], 'i@x.example');
  assert.equal(b?.['computed.ltv'], 5);
  assert.equal(b?.['computed.event_count'], 4);
  assert.equal(s.profile('A')?.mergedInto, 'B');
  const late = await s.apply.execute({
    workspaceId: WS,
    events: [ev('A', 11, { type: 'page', anonymousId: 'a' })],
  });
  assert.deepEqual(
    late.updates.map((u) => u.profileId),
    ['B'],
    'an event stamped with the alias lands on B',
  );
  const again = await s.merge.execute({
    workspaceId: WS,
    messageId: 'merge-1',
    survivingProfileId: 'B',
    mergedProfileIds: ['A'],
    at: at(10),
  });
  assert.deepEqual(again.merged, [], 'a redelivered merge changes nothing');
});

test('split restores the detached part from its facts; merge then split = never merged', async () => {
  const s = setup();
  const aEvents = [
    ev('A', 2, { type: 'identify', anonymousId: 'tab', traits: { name: 'Son', plan: 'kids' } }),
    ev('A', 3, {
      type: 'track',
      anonymousId: 'tab',
      event: 'Order Completed',
      properties: { total: 7 },
    }),
  ];
  const bEvents = [
    ev('B', 1, {
      type: 'identify',
      userId: 'mum',
      traits: { name: 'Mum', email: 'mum@x.example' },
    }),
    ev('B', 4, {
      type: 'track',
      userId: 'mum',
      event: 'Order Completed',
      properties: { total: 100 },
    }),
  ];
  await s.apply.execute({ workspaceId: WS, events: [...aEvents, ...bEvents] });
  const aBefore = s.values('A');
  const bBefore = s.values('B');
  await s.merge.execute({
    workspaceId: WS,
    messageId: 'merge-1',
    survivingProfileId: 'B',
    mergedProfileIds: ['A'],
    at: at(5),
  });
  assert.equal(s.values('B')?.['name'], 'Son', 'merged: the newer name wins');
  await s.edit.execute({
    workspaceId: WS,
    profileId: 'B',
    editId: 'manual-1',
    keyId: 'key',
    at: new Date(at(6)),
    set: { vip: true },
  });
  await s.split.execute({
    workspaceId: WS,
    messageId: 'split-1',
    sourceProfileId: 'B',
    parts: [
      {
        profileId: 'B',
        identifiers: [
          { type: 'user_id', value: 'mum' },
          { type: 'email', value: 'mum@x.example' },
        ],
      },
      { profileId: 'A', identifiers: [{ type: 'anonymous_id', value: 'tab' }] },
    ],
    at: at(7),
  });
  assert.deepEqual(s.values('A'), aBefore, 'the detached part is restored');
  assert.equal(s.profile('A')?.mergedInto, undefined, 'A answers for itself again');
  assert.deepEqual(
    s.values('B'),
    { ...bBefore, vip: true },
    'the manual edit stays with the source',
  );
});

test('manual edits: provenance manual, later events override them, older late events do not', async () => {
  const s = setup();
  await s.apply.execute({
    workspaceId: WS,
    events: [ev('p', 1, { type: 'identify', traits: { title: 'Dev' } })],
  });
  const edited = await s.edit.execute({
    workspaceId: WS,
    profileId: 'p',
    editId: 'e1',
    keyId: 'key_1',
    at: new Date(at(5)),
    set: { title: 'CTO' },
  });
  assert.equal(edited.registers['title']?.sourceType, 'manual');
  await s.apply.execute({
    workspaceId: WS,
    events: [ev('p', 3, { type: 'identify', traits: { title: 'Lead' } })],
  });
  assert.equal(s.values('p')?.['title'], 'CTO', 'a late event older than the edit loses');
  await s.apply.execute({
    workspaceId: WS,
    events: [ev('p', 8, { type: 'identify', traits: { title: 'CEO' } })],
  });
  assert.equal(s.values('p')?.['title'], 'CEO');
  await assert.rejects(
    s.edit.execute({
      workspaceId: WS,
      profileId: 'nobody',
      editId: 'e2',
      keyId: 'k',
      at: new Date(),
      set: { a: 1 },
    }),
    /not found/,
  );
});

// Incremental application in any batching and order equals deriving from all facts at once.
test('incremental = derived from all facts, for any order and batching (property)', async () => {
  const event = fc.record({
    d: fc.integer({ min: 1, max: 20 }),
    kind: fc.constantFrom('identify', 'order', 'page', 'unset', 'once'),
    v: fc.integer({ min: 0, max: 5 }),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.array(event, { minLength: 1, maxLength: 20 }),
      fc.integer({ min: 1, max: 5 }),
      async (raw, size) => {
        const body = (kind: string, v: number): Partial<ResolvedEventInput> & { type: string } => {
          switch (kind) {
            case 'identify':
              return { type: 'identify', traits: { plan: `p${v}`, address: { city: `c${v}` } } };
            case 'unset':
              return { type: 'identify', traits: { $unset: ['plan'] } };
            case 'once':
              return { type: 'identify', traits: { $set_once: { source: `s${v}` } } };
            case 'order':
              return { type: 'track', event: 'Order Completed', properties: { total: v + 0.1 } };
            default:
              return { type: 'page' };
          }
        };
        const events: Stamped[] = raw.map((e, i) => ({
          profileId: 'p',
          messageId: `x-${i}`,
          timestamp: at(e.d),
          ...body(e.kind, e.v),
        }));
        const s = setup();
        const reversed = [...events].reverse();
        for (let i = 0; i < reversed.length; i += size)
          await s.apply.execute({ workspaceId: WS, events: reversed.slice(i, i + size) });
        const derived = deriveProfile('p', 0, events.map(factFromEvent), [ltv]);
        assert.deepEqual(s.values('p'), Object.fromEntries(publishedValues(derived, [ltv])));
      },
    ),
    { numRuns: 100 },
  );
});
