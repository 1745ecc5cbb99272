import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createClickHouseClient, type ClickHouseClient } from '@cdp/persistence';
import { tempDir } from '@cdp/testing';
import {
  type Condition,
  type EventStep,
  type JsonValue,
  type PropertyFilter,
  type TimeWindow,
} from '../src/segments/domain/definition';
import { inputsOf } from '../src/segments/domain/analysis';
import {
  evaluate,
  HitsBehavior,
  NO_CRM_FACTS,
  PrecomputedBehavior,
  type BehaviorResult,
  type ProfileFacts,
} from '../src/segments/domain/evaluate';
import { matchesStep, type MatcherKey } from '../src/segments/domain/event-matcher';
import { parseDefinition } from '../src/segments/domain/parse-definition';
import { compileBehavior } from '../src/segments/infrastructure/clickhouse-behavior.compiler';
import {
  createUpstreamTables,
  insertEvents,
  insertIdentityMap,
  type MapRow,
  type StoredEvent,
} from './support/clickhouse-fixtures';

/**
 * Batch (compiled ClickHouse SQL over embedded ClickHouse, following identity_map) and real time
 * (the incremental evaluator fed event by event, hits re-pointed on merges) must agree on the
 * membership of every profile, for any definition and any data.
 */

const NOW = Date.parse('2026-06-15T12:00:00.000Z');
const DAY = 86_400_000;
const PROFILES = ['p0', 'p1', 'p2', 'p3', 'p4'];
const EVENTS = ['Viewed', 'Added', 'Ordered'];
const CATEGORIES: JsonValue[] = ['bags', 'shoes', 'Bags', 3, 7.5, true, null];

const scalar = fc.constantFrom<JsonValue>('bags', 'shoes', 'ba', 3, 7.5, true, null, 'x');
const filterArb: fc.Arbitrary<PropertyFilter> = fc.oneof(
  fc.record({
    property: fc.constantFrom('category', 'price', 'meta.tag'),
    operator: fc.constantFrom('equals' as const, 'not_equals' as const),
    value: scalar,
  }),
  fc.record({
    property: fc.constant('category'),
    operator: fc.constant('in' as const),
    value: fc.array(scalar, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    property: fc.constantFrom('category', 'meta.tag', 'tags'),
    operator: fc.constantFrom('contains' as const, 'starts_with' as const),
    value: fc.constantFrom('ba', 'Ba', 'sho', 'x'),
  }),
  fc.record({
    property: fc.constantFrom('price', 'category'),
    operator: fc.constantFrom('gt' as const, 'gte' as const, 'lt' as const, 'lte' as const),
    value: fc.constantFrom(3, 7.5, 10),
  }),
  fc.record({
    property: fc.constant('price'),
    operator: fc.constant('between' as const),
    value: fc.constant<JsonValue>([3, 10]),
  }),
  fc.record({
    property: fc.constantFrom('price', 'category', 'meta.tag'),
    operator: fc.constantFrom('exists' as const, 'not_exists' as const),
  }),
);
const stepArb: fc.Arbitrary<EventStep> = fc.record(
  { event: fc.constantFrom(...EVENTS), where: fc.array(filterArb, { maxLength: 2 }) },
  { requiredKeys: ['event'] },
);
const windowArb: fc.Arbitrary<TimeWindow> = fc.oneof(
  fc.constant<TimeWindow>({ type: 'ever' }),
  fc.constantFrom<TimeWindow>({ type: 'last', duration: '7d' }, { type: 'last', duration: '36h' }),
  fc.constant<TimeWindow>({ type: 'between', from: '2026-06-01', to: '2026-06-10T00:00:00Z' }),
);
const leafArb: fc.Arbitrary<Condition> = fc.oneof(
  fc
    .record({
      type: fc.constant('event' as const),
      step: stepArb,
      count: fc.option(
        fc.record({
          operator: fc.constantFrom('at_least' as const, 'at_most' as const, 'exactly' as const),
          value: fc.integer({ min: 0, max: 3 }),
        }),
        { nil: undefined },
      ),
      performed: fc.option(fc.constant(false), { nil: undefined }),
      window: windowArb,
    })
    .map(({ step, count, performed, window }): Condition => ({
      type: 'event',
      ...step,
      ...(performed === false ? { performed } : count ? { count } : {}),
      window,
    })),
  fc
    .record({
      first: stepArb,
      then: stepArb,
      within: fc.constantFrom('1h', '2d'),
      window: windowArb,
    })
    .map(({ first, then, within, window }): Condition => ({
      type: 'sequence',
      steps: [first, then],
      within,
      window,
    })),
  fc.constantFrom<Condition>(
    { type: 'trait', key: 'plan', operator: 'equals', value: 'pro' },
    { type: 'trait', key: 'ltv', operator: 'gte', value: 100 },
  ),
);
const conditionArb: fc.Arbitrary<Condition> = fc.letrec<{ node: Condition }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.record({
      type: fc.constantFrom('and' as const, 'or' as const),
      conditions: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ type: fc.constant('not' as const), condition: tie('node') }),
  ),
})).node;

const eventArb = fc.record({
  profile: fc.integer({ min: 0, max: PROFILES.length - 1 }),
  viaAnonymous: fc.boolean(),
  type: fc.constantFrom('track', 'track', 'track', 'page'),
  event: fc.constantFrom(...EVENTS),
  category: fc.option(fc.constantFrom(...CATEGORIES), { nil: undefined }),
  price: fc.option(fc.constantFrom(1, 3, 7.5, 12), { nil: undefined }),
  tag: fc.option(fc.constantFrom('bag-x', 'shoe'), { nil: undefined }),
  tags: fc.option(fc.constantFrom(['bags', 'x'], ['shoes']), { nil: undefined }),
  // Mostly the last 20 days, sometimes exactly on a window edge.
  ageMs: fc.oneof(
    fc.integer({ min: 0, max: 20 * DAY }),
    fc.constantFrom(7 * DAY, 36 * 3_600_000, 0),
  ),
});

/** A merge folds `from` into `into` after the events with index < `afterEvent` were seen. */
const mergeArb = fc.record({
  from: fc.integer({ min: 0, max: PROFILES.length - 1 }),
  into: fc.integer({ min: 0, max: PROFILES.length - 1 }),
  afterEvent: fc.integer({ min: 0, max: 30 }),
});

const traitsArb = fc.array(
  fc.record(
    { plan: fc.constantFrom('pro', 'free'), ltv: fc.constantFrom(50, 100, 150) },
    { requiredKeys: [] },
  ),
  { minLength: PROFILES.length, maxLength: PROFILES.length },
);

let clickhouse: ClickHouseClient;
let run = 0;

void describe('batch and real-time evaluation agree (property)', () => {
  before(async () => {
    clickhouse = createClickHouseClient(`chdb://${tempDir('cdp-seg-prop-ch-')}`);
    await createUpstreamTables(clickhouse);
  });
  after(async () => {
    await clickhouse.close();
  });

  void it('for random definitions, events and merges, every profile gets the same answer', async () => {
    await fc.assert(
      fc.asyncProperty(
        conditionArb,
        fc.array(eventArb, { maxLength: 30 }),
        fc.array(mergeArb, { maxLength: 2 }),
        traitsArb,
        async (condition, events, merges, traits) => {
          const parsed = parseDefinition({ condition });
          assert.ok(parsed.ok, JSON.stringify(parsed));
          const definition = parsed.definition;
          const ws = `ws${++run}`;

          // Identity: profile i owns user u<i> and anonymous a<i>; merges re-point both.
          const owner = PROFILES.map((_, i) => i);
          const find = (i: number): number => (owner[i] === i ? i : find(owner[i] ?? i));
          const stored: StoredEvent[] = [];
          const hits = new Map<string, Map<MatcherKey, number[]>>(); // profile → key → timestamps
          const steps = inputsOf(definition).steps;
          const sortedMerges = [...merges].sort((a, b) => a.afterEvent - b.afterEvent);
          const applyMerge = (from: number, into: number): void => {
            const survivor = find(into);
            const merged = find(from);
            if (survivor === merged) return;
            owner[merged] = survivor;
            // Real time: MergeProfiles moves the merged profile's hits to the survivor.
            const moved = hits.get(PROFILES[merged] ?? '');
            if (!moved) return;
            const target = hits.get(PROFILES[survivor] ?? '') ?? new Map<MatcherKey, number[]>();
            for (const [key, list] of moved) target.set(key, [...(target.get(key) ?? []), ...list]);
            hits.set(PROFILES[survivor] ?? '', target);
            hits.delete(PROFILES[merged] ?? '');
          };
          events.forEach((e, index) => {
            for (const m of sortedMerges) if (m.afterEvent === index) applyMerge(m.from, m.into);
            const properties: Record<string, JsonValue> = {};
            if (e.category !== undefined) properties.category = e.category;
            if (e.price !== undefined) properties.price = e.price;
            if (e.tag !== undefined) properties.meta = { tag: e.tag };
            if (e.tags !== undefined) properties.tags = [...e.tags];
            const timestamp = NOW - e.ageMs;
            stored.push({
              workspaceId: ws,
              messageId: `m${index}`,
              type: e.type,
              event: e.event,
              ...(e.viaAnonymous ? { anonymousId: `a${e.profile}` } : { userId: `u${e.profile}` }),
              properties,
              timestamp,
            });
            // Real time: the event arrives resolved to the profile its identifier has now.
            const profile = PROFILES[find(e.profile)] ?? '';
            for (const [key, step] of steps)
              if (matchesStep(step, { type: e.type, event: e.event, properties })) {
                const perProfile = hits.get(profile) ?? new Map<MatcherKey, number[]>();
                perProfile.set(key, [...(perProfile.get(key) ?? []), timestamp]);
                hits.set(profile, perProfile);
              }
          });
          for (const m of sortedMerges)
            if (m.afterEvent >= events.length) applyMerge(m.from, m.into);

          // Batch: events and the final identity_map in ClickHouse (versions grow with merges).
          const mapRows: MapRow[] = PROFILES.flatMap((_, i) => [
            {
              workspaceId: ws,
              type: 'user_id' as const,
              value: `u${i}`,
              profileId: `p${i}`,
              version: 1,
            },
            {
              workspaceId: ws,
              type: 'anonymous_id' as const,
              value: `a${i}`,
              profileId: `p${i}`,
              version: 1,
            },
            ...(find(i) === i
              ? []
              : [
                  {
                    workspaceId: ws,
                    type: 'user_id' as const,
                    value: `u${i}`,
                    profileId: `p${find(i)}`,
                    version: 2,
                  },
                  {
                    workspaceId: ws,
                    type: 'anonymous_id' as const,
                    value: `a${i}`,
                    profileId: `p${find(i)}`,
                    version: 2,
                  },
                ]),
          ]);
          await insertEvents(clickhouse, stored);
          await insertIdentityMap(clickhouse, mapRows);
          const results = new Map<Condition, BehaviorResult>();
          for (const node of inputsOf(definition).behavioral) {
            const compiled = compileBehavior(node, ws, NOW);
            const rows = await (
              await clickhouse.query({
                query: compiled.sql,
                query_params: compiled.params,
                format: 'JSONEachRow',
              })
            ).json<{ profile_id: string }>();
            results.set(node, {
              profiles: new Set(rows.map((r) => r.profile_id)),
              negate: compiled.negate,
            });
          }

          // Merged profiles have left; every surviving profile is judged by both paths.
          for (let i = 0; i < PROFILES.length; i++) {
            if (find(i) !== i) continue;
            const profile = PROFILES[i] ?? '';
            const facts: ProfileFacts = {
              traits: traits[i] ?? {},
              crm: NO_CRM_FACTS,
              segments: new Set(),
            };
            const batch = evaluate(
              definition.condition,
              facts,
              new PrecomputedBehavior(results, profile),
              NOW,
            );
            const realtime = evaluate(
              definition.condition,
              facts,
              new HitsBehavior(hits.get(profile) ?? new Map(), NOW),
              NOW,
            );
            assert.equal(realtime, batch, `profile ${profile} of ${JSON.stringify(definition)}`);
          }
        },
      ),
      { numRuns: Number(process.env.SEGMENT_PROPERTY_RUNS ?? 150) },
    );
  });
});
