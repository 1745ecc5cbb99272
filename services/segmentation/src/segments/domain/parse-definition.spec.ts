import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDefinition } from './parse-definition';

function issues(input: unknown): { pointer: string; message: string }[] {
  const result = parseDefinition(input);
  assert.equal(result.ok, false, 'expected the definition to be rejected');
  return result.ok ? [] : [...result.issues];
}

void describe('parseDefinition', () => {
  void it('accepts the issue example: viewed bags 3+ times in 7 days, no order in 30, LTV > 200, no open deal', () => {
    const result = parseDefinition({
      condition: {
        type: 'and',
        conditions: [
          {
            type: 'event',
            event: 'Product Viewed',
            where: [{ property: 'category', operator: 'equals', value: 'bags' }],
            count: { operator: 'at_least', value: 3 },
            window: { type: 'last', duration: '7d' },
          },
          {
            type: 'event',
            event: 'Order Completed',
            performed: false,
            window: { type: 'last', duration: '30d' },
          },
          { type: 'computed', trait: 'total_revenue', operator: 'gt', value: 200 },
          { type: 'not', condition: { type: 'deal', stageKind: 'open' } },
        ],
      },
    });
    assert.ok(result.ok);
    const root = result.definition.condition;
    assert.equal(root.type, 'and');
    // Behavioral nodes get an explicit window (ever by default).
    if (root.type === 'and')
      assert.deepEqual(root.conditions[2], {
        type: 'computed',
        trait: 'total_revenue',
        operator: 'gt',
        value: 200,
      });
  });

  void it('defaults the window of an event condition to ever', () => {
    const result = parseDefinition({ condition: { type: 'event', event: 'Signed Up' } });
    assert.ok(result.ok);
    assert.deepEqual(result.definition.condition, {
      type: 'event',
      event: 'Signed Up',
      window: { type: 'ever' },
    });
  });

  void it('points at the offending node with a JSON pointer', () => {
    assert.deepEqual(
      issues({
        condition: {
          type: 'or',
          conditions: [
            { type: 'trait', key: 'plan', operator: 'equals', value: 'pro' },
            { type: 'trait', key: 'ltv', operator: 'gt', value: 'lots' },
          ],
        },
      }),
      [{ pointer: '/condition/conditions/1/value', message: 'expected a finite number' }],
    );
    assert.equal(
      issues({
        condition: { type: 'event', event: 'X', window: { type: 'last', duration: '7 days' } },
      })[0]?.pointer,
      '/condition/window/duration',
    );
    assert.equal(
      issues({ condition: { type: 'sequence', steps: [{ event: 'A' }], within: '1h' } })[0]
        ?.pointer,
      '/condition/steps',
    );
    assert.equal(issues({ condition: { type: 'nope' } })[0]?.pointer, '/condition/type');
  });

  void it('reports every issue, including unknown keys (a typo must not widen an audience)', () => {
    const found = issues({
      condition: {
        type: 'and',
        conditions: [
          { type: 'trait', key: 'plan', operator: 'equal', value: 'pro' },
          { type: 'event', event: 'X', windw: { type: 'ever' } },
        ],
      },
    });
    assert.deepEqual(
      found.map((i) => i.pointer),
      ['/condition/conditions/0/operator', '/condition/conditions/1/windw'],
    );
  });

  void it('rejects contradictory or out-of-range values', () => {
    assert.equal(
      issues({
        condition: {
          type: 'event',
          event: 'X',
          performed: false,
          count: { operator: 'at_least', value: 2 },
        },
      })[0]?.pointer,
      '/condition/count',
    );
    assert.equal(
      issues({ condition: { type: 'trait', key: 'ltv', operator: 'between', value: [10, 1] } })[0]
        ?.pointer,
      '/condition/value',
    );
    assert.equal(
      issues({ condition: { type: 'trait', key: 'x', operator: 'exists', value: 1 } })[0]?.pointer,
      '/condition/value',
    );
    assert.equal(
      issues({
        condition: {
          type: 'event',
          event: 'X',
          window: { type: 'between', from: '2026-02-01', to: '2026-01-01' },
        },
      })[0]?.pointer,
      '/condition/window/to',
    );
    assert.equal(
      issues({ condition: { type: 'deal', stageKind: 'maybe' } })[0]?.pointer,
      '/condition/stageKind',
    );
    assert.equal(
      issues({ condition: { type: 'open_tickets', operator: 'gte', value: -1 } })[0]?.pointer,
      '/condition/value',
    );
    assert.equal(
      issues({ condition: { type: 'segment', segmentId: 'a b' } })[0]?.pointer,
      '/condition/segmentId',
    );
    assert.equal(
      issues({
        condition: { type: 'trait', key: 'signup', operator: 'within_last', value: '30 days' },
      })[0]?.pointer,
      '/condition/value',
    );
  });

  void it('bounds size and depth', () => {
    let deep: unknown = { type: 'trait', key: 'a', operator: 'exists' };
    for (let i = 0; i < 20; i++) deep = { type: 'not', condition: deep };
    assert.match(issues({ condition: deep })[0]?.message ?? '', /deeper than/);
    const wide = {
      type: 'or',
      conditions: Array.from({ length: 50 }, () => ({
        type: 'and',
        conditions: Array.from({ length: 5 }, () => ({
          type: 'trait',
          key: 'a',
          operator: 'exists',
        })),
      })),
    };
    assert.match(issues({ condition: wide })[0]?.message ?? '', /more than 200 conditions/);
  });

  void it('rejects a body that is not { condition }', () => {
    assert.deepEqual(issues(null), [{ pointer: '', message: 'expected { condition }' }]);
    assert.equal(issues({})[0]?.pointer, '/condition');
  });
});
