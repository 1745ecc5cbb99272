import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BehavioralCondition } from '../domain/definition';
import { compileBehavior, compileStepEvents } from './clickhouse-behavior.compiler';

const NOW = Date.parse('2026-06-15T12:00:00Z');
const hostile = "x') OR 1=1 --";

void describe('compileBehavior', () => {
  void it('never puts a value in the SQL text: every value is a typed parameter', () => {
    const node: BehavioralCondition = {
      type: 'event',
      event: hostile,
      where: [
        { property: `a.${hostile}`, operator: 'in', value: [hostile, 3, true, null] },
        { property: 'price', operator: 'between', value: [1, 2] },
        { property: 'tags', operator: 'contains', value: hostile },
      ],
      count: { operator: 'at_least', value: 3 },
      window: { type: 'last', duration: '7d' },
    };
    const compiled = compileBehavior(node, `ws-${hostile}`, NOW);
    assert.ok(!compiled.sql.includes(hostile), compiled.sql);
    assert.ok(!compiled.sql.includes("'bags'"));
    const values = Object.values(compiled.params);
    assert.ok(values.includes(hostile));
    assert.ok(values.includes(`ws-${hostile}`));
    assert.ok(values.includes(NOW - 7 * 86_400_000));
    // Parameters are declared with their types, e.g. {p0:String}.
    for (const name of Object.keys(compiled.params))
      assert.match(compiled.sql, new RegExp(`\\{${name}:[A-Za-z0-9]+\\}`));
  });

  void it('follows merges through identity_map (user id first, then anonymous id, highest version)', () => {
    const { sql } = compileBehavior(
      { type: 'event', event: 'E', window: { type: 'ever' } },
      'ws',
      NOW,
    );
    assert.match(sql, /argMax\(profile_id, version\) AS profile_id FROM identity_map/);
    assert.match(sql, /if\(u\.profile_id != '', u\.profile_id, a\.profile_id\)/);
  });

  void it('negates where the violators are the ones with events', () => {
    const base = { type: 'event', event: 'E', window: { type: 'ever' } } as const;
    assert.equal(compileBehavior({ ...base, performed: false }, 'ws', NOW).negate, true);
    assert.equal(
      compileBehavior({ ...base, count: { operator: 'at_most', value: 2 } }, 'ws', NOW).negate,
      true,
    );
    assert.equal(
      compileBehavior({ ...base, count: { operator: 'exactly', value: 0 } }, 'ws', NOW).negate,
      true,
    );
    assert.equal(
      compileBehavior({ ...base, count: { operator: 'exactly', value: 2 } }, 'ws', NOW).negate,
      false,
    );
    assert.equal(
      compileBehavior({ ...base, count: { operator: 'at_least', value: 1 } }, 'ws', NOW).negate,
      false,
    );
  });

  void it('compiles sequences to an ordered pair check within the span', () => {
    const compiled = compileBehavior(
      {
        type: 'sequence',
        steps: [{ event: 'Cart Added' }, { event: 'Order Completed' }],
        within: '4h',
        window: { type: 'ever' },
      },
      'ws',
      NOW,
    );
    assert.match(
      compiled.sql,
      /arrayExists\(t -> arrayExists\(f -> f < t AND t - f <= \{p\d+:Int64\}, firsts\), thens\)/,
    );
    assert.ok(Object.values(compiled.params).includes(4 * 3_600_000));
  });

  void it('compiles the backfill of one event kind', () => {
    const compiled = compileStepEvents(
      { event: 'E', where: [{ property: 'x', operator: 'exists' }] },
      'ws',
    );
    assert.match(compiled.sql, /^SELECT message_id, profile_id/);
    assert.ok(Object.values(compiled.params).includes('E'));
  });
});
