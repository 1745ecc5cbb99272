import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyTraitChanges, cdpSummary, type ProfileTraits } from './trait-changes';

const empty: ProfileTraits = { traits: {}, versions: {} };

describe('profile updates folded into the CDP view', () => {
  test('in any order, the newest version of each trait wins', () => {
    const v2 = [{ key: 'computed.total_revenue', operation: 'set' as const, value: 250 }];
    const v1 = [
      { key: 'computed.total_revenue', operation: 'set' as const, value: 100 },
      { key: 'computed.last_seen', operation: 'set' as const, value: '2026-03-01T10:00:00Z' },
    ];
    const inOrder = applyTraitChanges(applyTraitChanges(empty, 1, v1).next, 2, v2).next;
    const reversed = applyTraitChanges(applyTraitChanges(empty, 2, v2).next, 1, v1).next;
    assert.deepEqual(inOrder.traits, reversed.traits);
    assert.deepEqual(inOrder.traits, {
      'computed.total_revenue': 250,
      'computed.last_seen': '2026-03-01T10:00:00Z',
    });
  });

  test('the same update twice changes nothing; an unset removes the trait', () => {
    const once = applyTraitChanges(empty, 3, [
      { key: 'plan', operation: 'set', value: 'pro' },
    ]).next;
    const twice = applyTraitChanges(once, 3, [{ key: 'plan', operation: 'set', value: 'pro' }]);
    assert.equal(twice.changed, false);
    const unset = applyTraitChanges(once, 4, [{ key: 'plan', operation: 'unset' }]);
    assert.deepEqual(unset.next.traits, {});
    assert.equal(unset.next.versions.plan, 4, 'a late v3 cannot bring it back');
    assert.equal(
      applyTraitChanges(unset.next, 3, [{ key: 'plan', operation: 'set', value: 'pro' }]).changed,
      false,
    );
  });

  test('the summary names the computed traits the CRM shows', () => {
    assert.deepEqual(cdpSummary({ 'computed.last_seen': 'x', 'computed.total_revenue': 5 }), {
      lastSeen: 'x',
      firstSeen: null,
      totalRevenue: 5,
      ordersCount: null,
      lastOrderAt: null,
      eventCount: null,
    });
  });
});
