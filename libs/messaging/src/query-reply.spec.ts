import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '@cdp/contracts';
import { decodeReply, errorReply } from './query-reply';
import { NonRetryableError, isRetryable } from './errors';

void test('a DomainError round-trips through a reply', () => {
  const reply = errorReply(
    new DomainError('not_found', 'profile.not_found', 'no such profile', { id: 'p1' }),
  );
  try {
    decodeReply(JSON.stringify(reply), 'cdp.query.profile.get.v1');
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof DomainError);
    assert.equal(e.kind, 'not_found');
    assert.equal(e.code, 'profile.not_found');
    assert.equal(e.message, 'no such profile');
    assert.deepEqual(e.details, { id: 'p1' });
  }
});

void test('unknown errors become internal, garbage replies unavailable', () => {
  assert.deepEqual(errorReply(new Error('x')), {
    ok: false,
    error: { code: 'internal', message: 'x', kind: 'unavailable' },
  });
  assert.throws(
    () => decodeReply('nope', 's'),
    (e: unknown) => e instanceof DomainError && e.kind === 'unavailable',
  );
  assert.throws(
    () => decodeReply('{"ok":false,"error":{"kind":"weird"}}', 's'),
    (e: unknown) => e instanceof DomainError && e.kind === 'unavailable',
  );
  assert.deepEqual(decodeReply('{"ok":true,"data":{"a":1}}', 's'), { a: 1 });
});

void test('retryability follows DomainError.retryable and NonRetryableError', () => {
  assert.equal(isRetryable(new Error('x')), true);
  assert.equal(isRetryable(new NonRetryableError('x')), false);
  assert.equal(isRetryable(new DomainError('invalid', 'c', 'm')), false);
  assert.equal(isRetryable(new DomainError('unavailable', 'c', 'm')), true);
  assert.equal(isRetryable({ status: 'error', message: 'Internal server error' }), true);
});
