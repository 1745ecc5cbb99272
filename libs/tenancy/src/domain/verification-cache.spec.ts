import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ApiKey } from './api-key';
import { VerificationCache } from './verification-cache';

function key(id: string): ApiKey {
  return {
    id,
    workspaceId: 'w',
    name: id,
    scopes: ['admin'],
    secretHash: 'h',
    createdAt: new Date(0),
    expiresAt: null,
    revokedAt: null,
    rotatedAt: null,
    graceUntil: null,
    replacedBy: null,
    rotatedFrom: null,
  };
}

void describe('verification cache', () => {
  void it('keeps a loaded key for the positive TTL and an unknown id for the (shorter) negative TTL', () => {
    const cache = new VerificationCache({ positiveTtlMs: 60_000, negativeTtlMs: 5_000 });
    cache.store('known', key('known'), 0, cache.beginLoad());
    cache.store('unknown', null, 0, cache.beginLoad());
    assert.deepEqual(cache.get('known', 59_999), { hit: true, key: key('known') });
    assert.deepEqual(cache.get('unknown', 4_999), { hit: true, key: null });
    assert.deepEqual(cache.get('unknown', 5_000), { hit: false });
    assert.deepEqual(cache.get('known', 60_000), { hit: false });
    assert.equal(cache.size, 0, 'expired entries are dropped');
  });

  void it('invalidation drops one key at once; clear drops all', () => {
    const cache = new VerificationCache();
    cache.store('a', key('a'), 0, cache.beginLoad());
    cache.store('b', key('b'), 0, cache.beginLoad());
    cache.invalidate('a');
    assert.deepEqual(cache.get('a', 1), { hit: false });
    assert.equal(cache.get('b', 1).hit, true);
    cache.clear();
    assert.deepEqual(cache.get('b', 1), { hit: false });
  });

  void it('does not cache a load that raced an invalidation (stale pre-revocation row)', () => {
    const cache = new VerificationCache();
    const token = cache.beginLoad(); // load starts, reads the row while still active...
    cache.invalidate('a'); // ...revocation message arrives before the load completes
    assert.equal(cache.store('a', key('a'), 0, token), false);
    assert.deepEqual(
      cache.get('a', 1),
      { hit: false },
      'next verify reloads and sees the revocation',
    );
    assert.equal(cache.store('a', key('a'), 0, cache.beginLoad()), true);
  });

  void it('evicts the least recently used entry beyond maxEntries', () => {
    const cache = new VerificationCache({ maxEntries: 2 });
    cache.store('a', key('a'), 0, cache.beginLoad());
    cache.store('b', key('b'), 0, cache.beginLoad());
    cache.get('a', 1); // a is now more recent than b
    cache.store('c', key('c'), 0, cache.beginLoad());
    assert.equal(cache.size, 2);
    assert.equal(cache.get('a', 2).hit, true);
    assert.equal(cache.get('b', 2).hit, false);
    assert.equal(cache.get('c', 2).hit, true);
  });

  void it('a zero TTL disables that kind of entry', () => {
    const cache = new VerificationCache({ negativeTtlMs: 0 });
    assert.equal(cache.store('x', null, 0, cache.beginLoad()), false);
    assert.equal(cache.get('x', 0).hit, false);
  });
});
