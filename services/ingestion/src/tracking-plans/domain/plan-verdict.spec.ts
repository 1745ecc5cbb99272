import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AjvPlanCompiler } from '../infrastructure/ajv-plan-compiler';
import { checkAgainstPlan, decideVerdict, MAX_VIOLATIONS, type CompiledPlan } from './plan-verdict';
import { type PlanMode, type TrackingPlanRules } from './tracking-plan';

const rules: TrackingPlanRules = {
  events: {
    'Order Completed': {
      type: 'object',
      properties: {
        price: { type: 'number', minimum: 0 },
        currency: { type: 'string', enum: ['EUR', 'USD'] },
        items: {
          type: 'array',
          items: { type: 'object', properties: { sku: { type: 'string' } }, required: ['sku'] },
        },
      },
      required: ['price'],
      additionalProperties: false,
    },
  },
  identify: { properties: { email: { type: 'string', format: 'email' } } },
  pages: { Pricing: { properties: { plan: { type: 'string' } }, required: ['plan'] } },
  screens: {},
  allowUnplannedEvents: false,
};

const compiler = new AjvPlanCompiler();
const plan = (mode: PlanMode, overrides: Partial<TrackingPlanRules> = {}): CompiledPlan =>
  compiler.compile({ id: 'tp_1', version: 1, mode, rules: { ...rules, ...overrides } });

test('a conforming event is allowed in every mode', () => {
  for (const mode of ['allow', 'flag', 'block'] as const) {
    assert.deepEqual(
      checkAgainstPlan(plan(mode), {
        type: 'track',
        event: 'Order Completed',
        properties: { price: 10, currency: 'EUR', items: [{ sku: 'a' }] },
      }),
      { action: 'allow' },
    );
  }
});

test('flag reports every violation with its JSON path from the event root', () => {
  const verdict = checkAgainstPlan(plan('flag'), {
    type: 'track',
    event: 'Order Completed',
    properties: { price: 'ten', currency: 'GBP', items: [{ sku: 'a' }, {}], coupon: 'X' },
  });
  assert.equal(verdict.action, 'flag');
  const paths = verdict.action === 'flag' ? verdict.violations.map((v) => v.path).sort() : [];
  assert.deepEqual(paths, [
    'properties.coupon',
    'properties.currency',
    'properties.items[1].sku',
    'properties.price',
  ]);
});

test('block rejects with the violations; missing properties count as {} so required applies', () => {
  const verdict = checkAgainstPlan(plan('block'), { type: 'track', event: 'Order Completed' });
  assert.deepEqual(verdict, {
    action: 'block',
    violations: [{ path: 'properties.price', message: 'is required' }],
  });
});

test('allow mode ignores violations', () => {
  assert.deepEqual(
    checkAgainstPlan(plan('allow'), { type: 'track', event: 'Order Completed', properties: {} }),
    { action: 'allow' },
  );
});

test('unplanned track events: a violation at `event` unless the plan allows them', () => {
  const unplanned = { type: 'track', event: 'Mystery' } as const;
  assert.deepEqual(checkAgainstPlan(plan('block'), unplanned), {
    action: 'block',
    violations: [{ path: 'event', message: 'event "Mystery" is not in the tracking plan' }],
  });
  assert.deepEqual(checkAgainstPlan(plan('block', { allowUnplannedEvents: true }), unplanned), {
    action: 'allow',
  });
});

test('identify traits, page properties by name; unknown pages, screens and alias pass', () => {
  const p = plan('flag');
  const identify = checkAgainstPlan(p, { type: 'identify', traits: { email: 'nope' } });
  assert.equal(identify.action, 'flag');
  assert.equal(identify.action === 'flag' ? identify.violations[0]?.path : '', 'traits.email');
  assert.deepEqual(checkAgainstPlan(p, { type: 'identify', traits: { email: 'a@b.co' } }), {
    action: 'allow',
  });
  const page = checkAgainstPlan(p, { type: 'page', name: 'Pricing', properties: {} });
  assert.equal(page.action === 'flag' ? page.violations[0]?.path : '', 'properties.plan');
  assert.deepEqual(checkAgainstPlan(p, { type: 'page', name: 'Home' }), { action: 'allow' });
  assert.deepEqual(checkAgainstPlan(p, { type: 'screen', name: 'Home' }), { action: 'allow' });
  assert.deepEqual(checkAgainstPlan(p, { type: 'alias' }), { action: 'allow' });
});

test('violations are capped', () => {
  const many = Array.from({ length: 50 }, (_, i) => ({ path: `p${i}`, message: 'x' }));
  const verdict = decideVerdict('flag', many);
  assert.equal(verdict.action === 'flag' ? verdict.violations.length : 0, MAX_VIOLATIONS);
});

test('strict compilation refuses bad schemas and names them', () => {
  const bad: Record<string, unknown>[] = [
    { type: 'strnig' },
    { typo: true },
    { type: 'string', format: 'no-such-format' },
    { $ref: 'https://example.com/remote.json' },
  ];
  for (const schema of bad) {
    assert.throws(
      () =>
        compiler.compile({
          id: 'tp_1',
          version: 1,
          mode: 'flag',
          rules: { ...rules, events: { 'Order Completed': schema } },
        }),
      (error: { code?: string; details?: { field?: string } }) =>
        error.code === 'tracking_plan.invalid_schema' &&
        error.details?.field === 'rules.events.Order Completed',
      JSON.stringify(schema),
    );
  }
});
