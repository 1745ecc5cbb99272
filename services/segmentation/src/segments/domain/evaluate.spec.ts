import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findCycle, dependencyOrder, inputsOf } from './analysis';
import { type Condition } from './definition';
import {
  evaluate,
  HitsBehavior,
  nextChangeAt,
  sequenceOccurs,
  type ProfileFacts,
} from './evaluate';
import { matcherKey, matchesStep } from './event-matcher';
import { compareValue } from './values';

const NOW = Date.parse('2026-06-15T12:00:00Z');
const DAY = 86_400_000;
const facts = (
  traits: ProfileFacts['traits'] = {},
  crm: Partial<ProfileFacts['crm']> = {},
): ProfileFacts => ({
  traits,
  crm: { deals: [], companies: [], openTickets: 0, ...crm },
  segments: new Set(['vip']),
});
const noHits = new HitsBehavior(new Map(), NOW);

void describe('compareValue', () => {
  void it('compares JSON values exactly and treats absent values as only not_equals/not_exists', () => {
    assert.equal(compareValue('equals', 3, 3, NOW), true);
    assert.equal(compareValue('equals', '3', 3, NOW), false);
    assert.equal(compareValue('not_equals', undefined, 'x', NOW), true);
    assert.equal(compareValue('gt', undefined, 1, NOW), false);
    assert.equal(compareValue('not_exists', null, undefined, NOW), true);
    assert.equal(compareValue('in', 'b', ['a', 'b'], NOW), true);
    assert.equal(compareValue('contains', ['bags', 'x'], 'bags', NOW), true);
    assert.equal(compareValue('contains', 'handbags', 'bag', NOW), true);
    assert.equal(compareValue('starts_with', 'Bags', 'bag', NOW), false);
    assert.equal(compareValue('between', 5, [5, 10], NOW), true);
  });

  void it('handles absolute and relative dates (ISO strings or epoch ms)', () => {
    assert.equal(compareValue('before', '2026-01-01', '2026-02-01', NOW), true);
    assert.equal(compareValue('after', NOW, '2026-06-01', NOW), true);
    assert.equal(
      compareValue('within_last', new Date(NOW - 29 * DAY).toISOString(), '30d', NOW),
      true,
    );
    assert.equal(
      compareValue('within_last', new Date(NOW - 31 * DAY).toISOString(), '30d', NOW),
      false,
    );
    assert.equal(compareValue('more_than_ago', NOW - 31 * DAY, '30d', NOW), true);
  });
});

void describe('evaluate', () => {
  const viewedBags = {
    type: 'event',
    event: 'Product Viewed',
    where: [{ property: 'category', operator: 'equals', value: 'bags' }],
    count: { operator: 'at_least', value: 3 },
    window: { type: 'last', duration: '7d' },
  } as const;

  void it('counts hits inside the window only', () => {
    const key = matcherKey(viewedBags);
    const hits = (ages: number[]) =>
      new HitsBehavior(new Map([[key, ages.map((a) => NOW - a)]]), NOW);
    assert.equal(evaluate(viewedBags, facts(), hits([DAY, 2 * DAY, 3 * DAY]), NOW), true);
    assert.equal(evaluate(viewedBags, facts(), hits([DAY, 2 * DAY, 8 * DAY]), NOW), false);
    // The window edge is inclusive: exactly 7 days ago still counts.
    assert.equal(evaluate(viewedBags, facts(), hits([DAY, 2 * DAY, 7 * DAY]), NOW), true);
  });

  void it('did not perform is true without hits; AND/OR/NOT compose', () => {
    const noOrder: Condition = {
      type: 'event',
      event: 'Order Completed',
      performed: false,
      window: { type: 'last', duration: '30d' },
    };
    assert.equal(evaluate(noOrder, facts(), noHits, NOW), true);
    const condition: Condition = {
      type: 'and',
      conditions: [
        noOrder,
        {
          type: 'or',
          conditions: [
            { type: 'segment', segmentId: 'vip' },
            { type: 'trait', key: 'plan', operator: 'equals', value: 'pro' },
          ],
        },
        { type: 'not', condition: { type: 'deal', stageKind: 'open' } },
      ],
    };
    assert.equal(evaluate(condition, facts(), noHits, NOW), true);
    assert.equal(
      evaluate(
        condition,
        facts({}, { deals: [{ stageId: 's1', stageKind: 'open', pipelineId: 'p' }] }),
        noHits,
        NOW,
      ),
      false,
    );
  });

  void it('reads computed traits, nested paths, companies and open tickets', () => {
    const f = facts(
      { 'computed.event_counts': { 'Order Completed': 4 }, 'computed.total_revenue': 250 },
      { companies: [{ industry: 'retail', customFields: { tier: 'gold' } }], openTickets: 2 },
    );
    assert.equal(
      evaluate(
        {
          type: 'computed',
          trait: 'event_counts',
          path: ['Order Completed'],
          operator: 'gte',
          value: 3,
        },
        f,
        noHits,
        NOW,
      ),
      true,
    );
    assert.equal(
      evaluate(
        { type: 'computed', trait: 'total_revenue', operator: 'gt', value: 200 },
        f,
        noHits,
        NOW,
      ),
      true,
    );
    assert.equal(
      evaluate(
        { type: 'company', field: 'customFields.tier', operator: 'equals', value: 'gold' },
        f,
        noHits,
        NOW,
      ),
      true,
    );
    assert.equal(
      evaluate({ type: 'open_tickets', operator: 'gte', value: 2 }, f, noHits, NOW),
      true,
    );
    assert.equal(
      evaluate(
        { type: 'company', field: 'industry', operator: 'not_equals', value: 'retail' },
        facts(),
        noHits,
        NOW,
      ),
      true,
    );
  });

  void it('finds sequences: first strictly before then, within the span', () => {
    assert.equal(sequenceOccurs([100], [200], 100), true);
    assert.equal(sequenceOccurs([100], [201], 100), false);
    assert.equal(sequenceOccurs([200], [200], 100), false);
    assert.equal(sequenceOccurs([50, 150], [210], 100), true);
  });
});

void describe('nextChangeAt', () => {
  void it('is when the oldest in-window hit leaves the window, or a relative date crosses', () => {
    const node: Condition = {
      type: 'event',
      event: 'Ping',
      window: { type: 'last', duration: '1d' },
    };
    const hits = new Map([[matcherKey({ event: 'Ping' }), [NOW - 3_600_000, NOW - 2 * DAY]]]);
    assert.equal(nextChangeAt(node, facts(), hits, NOW), NOW - 3_600_000 + DAY + 1);
    const signup: Condition = {
      type: 'trait',
      key: 'signed_up',
      operator: 'within_last',
      value: '30d',
    };
    assert.equal(
      nextChangeAt(signup, facts({ signed_up: NOW - DAY }), new Map(), NOW),
      NOW - DAY + 30 * DAY + 1,
    );
    assert.equal(
      nextChangeAt({ type: 'trait', key: 'plan', operator: 'exists' }, facts(), hits, NOW),
      undefined,
    );
  });
});

void describe('event matching and analysis', () => {
  void it('matches track events by name and property filters; keys ignore key order', () => {
    const step = {
      event: 'Product Viewed',
      where: [{ property: 'product.brand', operator: 'starts_with' as const, value: 'Gu' }],
    };
    assert.equal(
      matchesStep(step, {
        type: 'track',
        event: 'Product Viewed',
        properties: { product: { brand: 'Gucci' } },
      }),
      true,
    );
    assert.equal(
      matchesStep(step, {
        type: 'page',
        event: 'Product Viewed',
        properties: { product: { brand: 'Gucci' } },
      }),
      false,
    );
    const reordered = JSON.parse(
      '{"where":[{"value":"Gu","operator":"starts_with","property":"product.brand"}],"event":"Product Viewed"}',
    ) as typeof step;
    assert.equal(matcherKey(reordered), matcherKey(step));
  });

  void it('lists inputs, orders dependencies and finds cycles', () => {
    const inputs = inputsOf({
      condition: {
        type: 'and',
        conditions: [
          { type: 'segment', segmentId: 'a' },
          { type: 'trait', key: 'plan', operator: 'exists' },
          { type: 'event', event: 'E', window: { type: 'last', duration: '1d' } },
        ],
      },
    });
    assert.deepEqual([...inputs.segmentRefs], ['a']);
    assert.deepEqual([...inputs.traitKeys], ['plan']);
    assert.equal(inputs.timeDependent, true);
    const refs = new Map([
      ['c', new Set(['b'])],
      ['b', new Set(['a'])],
      ['a', new Set<string>()],
    ]);
    assert.deepEqual(dependencyOrder(refs), ['a', 'b', 'c']);
    assert.deepEqual(
      findCycle('a', new Set(['c']), (id) => refs.get(id)),
      ['a', 'c', 'b', 'a'],
    );
    assert.equal(
      findCycle('d', new Set(['c']), (id) => refs.get(id)),
      undefined,
    );
  });
});
