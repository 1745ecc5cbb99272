import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generateSecret } from './api-key-format';
import { constantTimeEqual, hashSecret, secretMatches } from './key-hash';

void describe('key secret hashing', () => {
  void it('stores hex SHA-256 of the secret, never the secret', () => {
    const secret = generateSecret();
    const hash = hashSecret(secret);
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.equal(hash, createHash('sha256').update(secret).digest('hex'));
    assert.ok(!hash.includes(secret));
    assert.equal(hashSecret(secret), hash, 'deterministic');
    assert.notEqual(hashSecret(generateSecret()), hash);
  });

  void it('matches only the right secret', () => {
    const secret = generateSecret();
    const hash = hashSecret(secret);
    assert.equal(secretMatches(secret, hash), true);
    assert.equal(secretMatches(generateSecret(), hash), false);
    assert.equal(
      secretMatches(secret, hash.slice(0, 63)),
      false,
      'length mismatch is a mismatch, not a throw',
    );
  });

  void it('compares in constant time without throwing on different lengths', () => {
    assert.equal(constantTimeEqual('abc', 'abc'), true);
    assert.equal(constantTimeEqual('abc', 'abd'), false);
    assert.equal(constantTimeEqual('abc', 'abcd'), false);
    assert.equal(constantTimeEqual('', ''), true);
  });
});
