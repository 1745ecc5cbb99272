import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideOwnership, ownerOf, type Claim } from './ownership';

const ctx = (over: Partial<Parameters<typeof decideOwnership>[1]> = {}) => ({
  flushId: 'mine',
  now: '2025-01-01 00:01:00.000000',
  claimTimeoutMs: 30_000,
  failedFlushes: new Set<string>(),
  ...over,
});
const claim = (flushId: string, claimedAt: string, committed = false): Claim => ({
  flushId,
  claimedAt,
  committed,
});
const mine = claim('mine', '2025-01-01 00:00:59.000000');

void test('the earliest claim owns the id; ties go to the smaller flush id', () => {
  const a = claim('b', '2025-01-01 00:00:01.000001');
  const b = claim('a', '2025-01-01 00:00:01.000001');
  const c = claim('c', '2025-01-01 00:00:00.999999');
  assert.equal(ownerOf([a, b, c]), c);
  assert.equal(ownerOf([a, b]), b);
  assert.equal(ownerOf([]), undefined);
});

void test('a flush inserts the ids it claimed first', () => {
  assert.equal(decideOwnership([mine], ctx()).kind, 'insert');
});

void test('an id committed by an earlier flush is a duplicate (first seen wins)', () => {
  const earlier = claim('old', '2025-01-01 00:00:10.000000', true);
  assert.deepEqual(decideOwnership([mine, earlier], ctx()), { kind: 'duplicate', owner: earlier });
});

void test('a recent uncommitted earlier claim is in flight elsewhere: defer', () => {
  const inFlight = claim('other', '2025-01-01 00:00:45.000000');
  assert.equal(decideOwnership([mine, inFlight], ctx()).kind, 'defer');
});

void test('an abandoned claim (past the timeout, or a flush we saw fail) is verified against events', () => {
  const stale = claim('crashed', '2025-01-01 00:00:29.000000');
  assert.equal(decideOwnership([mine, stale], ctx()).kind, 'verify');
  const failedHere = claim('failed', '2025-01-01 00:00:58.000000');
  assert.equal(
    decideOwnership([mine, failedHere], ctx({ failedFlushes: new Set(['failed']) })).kind,
    'verify',
  );
});

void test('without our own claim visible, nothing is decided', () => {
  assert.equal(
    decideOwnership([claim('x', '2025-01-01 00:00:00.000000', true)], ctx()).kind,
    'defer',
  );
  assert.equal(decideOwnership([], ctx()).kind, 'defer');
});
