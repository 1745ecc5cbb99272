import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyBuiltin,
  builtinValues,
  clockValues,
  emptyBuiltin,
  joinBuiltin,
  type BuiltinState,
} from './builtin-computed';
import {
  applyCustom,
  customValue,
  joinCustom,
  validateDefinition,
  type CustomTraitDefinition,
  type CustomTraitState,
} from './custom-trait';
import { type JsonObject } from './json';
import { factFromEvent, type ProfileFact, type ResolvedEventInput } from './profile-fact';

let n = 0;
const at = (d: number, h = 0): string => new Date(Date.UTC(2025, 0, d, h)).toISOString();
function fact(d: number, fields: Partial<ResolvedEventInput> & { type: string }): ProfileFact {
  return factFromEvent({ messageId: `m-${++n}`, timestamp: at(d), ...fields });
}
const track = (d: number, event: string, properties: JsonObject = {}, extra = {}): ProfileFact =>
  fact(d, { type: 'track', event, properties, ...extra });

function built(facts: readonly ProfileFact[]): BuiltinState {
  const state = emptyBuiltin();
  for (const f of facts) applyBuiltin(state, f);
  return state;
}

test('first seen, last seen, event counts per name, page views, sessions', () => {
  const values = builtinValues(
    built([
      fact(3, { type: 'page', context: { sessionId: 's1', page: { url: 'https://x' } } }),
      track(1, 'Product Viewed', {}, { context: { sessionId: 's1' } }),
      track(5, 'Product Viewed', { session_id: 's2' }),
      fact(4, { type: 'identify', traits: { email: 'a@b.example' } }),
      fact(2, { type: 'page' }),
    ]),
  );
  assert.equal(values['first_seen'], at(1));
  assert.equal(values['last_seen'], at(5));
  assert.equal(values['event_count'], 5);
  assert.deepEqual(values['event_counts'], { 'Product Viewed': 2, identify: 1, page: 2 });
  assert.equal(values['page_views'], 2);
  assert.equal(values['sessions'], 2, 'distinct session ids');
});

test('orders count, total revenue (net of refunds), average order value, last order', () => {
  const state = built([
    track(1, 'Order Completed', { order_id: 'o1', revenue: 100.1 }),
    track(3, 'Order Completed', { order_id: 'o2', total: 50.2 }),
    track(2, 'Order Completed', {
      order_id: 'o3',
      products: [{ price: 10, quantity: 2 }, { price: 0.05 }],
    }),
    track(4, 'Order Refunded', { order_id: 'o2', total: 50.2 }),
  ]);
  const values = builtinValues(state);
  assert.equal(values['orders_count'], 3);
  assert.equal(values['total_revenue'], 120.15, 'exact cents: 100.10 + 50.20 + 20.05 − 50.20');
  assert.equal(values['avg_order_value'], 40.05);
  assert.equal(values['last_order_at'], at(3));
});

test('days since last order and RFM are derived from the clock when read', () => {
  const state = built([
    track(1, 'Order Completed', { revenue: 300 }),
    track(10, 'Order Completed', { revenue: 300 }),
  ]);
  const clock = clockValues(state, new Date(Date.UTC(2025, 0, 20, 12)));
  assert.equal(clock['days_since_last_order'], 10);
  assert.deepEqual(clock['rfm'], { r: 5, f: 2, m: 4, score: '524' });
  const later = clockValues(state, new Date(Date.UTC(2025, 5, 1)));
  assert.deepEqual(later['rfm'], { r: 3, f: 2, m: 4, score: '324' }, 'recency decays with time');
  assert.deepEqual(clockValues(emptyBuiltin(), new Date()), {
    days_since_last_order: null,
    rfm: null,
  });
});

test('channels and devices seen', () => {
  const values = builtinValues(
    built([
      fact(1, { type: 'page', context: { userAgent: 'Mozilla/5.0 (Windows NT 10.0)' } }),
      fact(2, {
        type: 'page',
        context: { userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148' },
      }),
      fact(3, { type: 'screen', context: { app: { name: 'shop' }, device: { id: 'dev-1' } } }),
      fact(4, { type: 'identify', sourceId: 'crm', context: { crm: { aggregateId: 'c1' } } }),
      track(5, 'Server Thing'),
    ]),
  );
  assert.deepEqual(values['channels'], ['crm', 'mobile', 'server', 'web']);
  assert.deepEqual(values['devices'], ['desktop-browser', 'dev-1', 'mobile-browser']);
});

test('a merge joins built-in states exactly as if one profile had seen every fact', () => {
  const a = [track(1, 'Order Completed', { revenue: 10.01 }), fact(2, { type: 'page' })];
  const b = [
    track(3, 'Order Completed', { revenue: 5 }),
    fact(4, { type: 'page', context: { sessionId: 'x' } }),
  ];
  const joined = built(b);
  joinBuiltin(joined, built(a));
  assert.deepEqual(builtinValues(joined), builtinValues(built([...a, ...b])));
});

function custom(def: CustomTraitDefinition, facts: readonly ProfileFact[]): CustomTraitState {
  const state: CustomTraitState = {};
  for (const f of facts) applyCustom(state, def, f);
  return state;
}

const orders = [
  track(1, 'Order Completed', { total: 10, coupon: 'A' }),
  track(2, 'Order Completed', { total: 30.5, coupon: 'B' }),
  track(3, 'Order Completed', { total: 20, coupon: 'A' }),
  track(3, 'Product Viewed', { total: 999 }),
];

test('custom computed traits: count, sum, min, max, first, last, unique count', () => {
  const value = (aggregation: CustomTraitDefinition['aggregation'], property?: string) => {
    const def: CustomTraitDefinition = {
      key: 'k',
      aggregation,
      event: 'Order Completed',
      ...(property ? { property } : {}),
    };
    return customValue(custom(def, [...orders].reverse()), def, new Date());
  };
  assert.equal(value('count'), 3);
  assert.equal(value('sum', 'total'), 60.5);
  assert.equal(value('min', 'total'), 10);
  assert.equal(value('max', 'total'), 30.5);
  assert.equal(value('first', 'coupon'), 'A');
  assert.equal(value('last', 'coupon'), 'A', 'by event time, whatever the arrival order');
  assert.equal(value('unique_count', 'coupon'), 2);
  assert.equal(value('max', 'missing'), null);
});

test('windowed custom traits slide with the clock (daily buckets evaluated when read)', () => {
  const def: CustomTraitDefinition = {
    key: 'orders_7d',
    aggregation: 'sum',
    event: 'Order Completed',
    property: 'total',
    windowDays: 2,
  };
  const state = custom(def, orders);
  assert.equal(customValue(state, def, new Date(at(3, 12))), 50.5, 'days 2 and 3');
  assert.equal(customValue(state, def, new Date(at(4, 12))), 20, 'day 3 only');
  assert.equal(customValue(state, def, new Date(at(9))), 0, 'nothing in the window');
  assert.deepEqual(
    Object.keys(state.days ?? {}).sort(),
    ['2025-01-02', '2025-01-03'],
    'day 1 pruned',
  );
  const a = custom(def, orders.slice(0, 2));
  joinCustom(a, custom(def, orders.slice(2)), def);
  assert.deepEqual(a, custom(def, orders), 'a merge equals seeing every fact');
});

test('definitions are validated', () => {
  const ok: CustomTraitDefinition = {
    key: 'ltv_90d',
    aggregation: 'sum',
    event: 'Order Completed',
    property: 'total',
    windowDays: 90,
  };
  assert.equal(validateDefinition(ok, []), ok);
  assert.throws(() => validateDefinition({ ...ok, key: 'Bad Key' }, []), /key/);
  assert.throws(
    () => validateDefinition({ ...ok, key: 'orders_count' }, ['orders_count']),
    /built-in/,
  );
  assert.throws(
    () => validateDefinition({ key: 'x', aggregation: 'sum', event: 'E' }, []),
    /property/,
  );
  assert.throws(() => validateDefinition({ ...ok, windowDays: 0 }, []), /windowDays/);
});
