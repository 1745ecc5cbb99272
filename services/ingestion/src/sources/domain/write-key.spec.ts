import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatWriteKey,
  generateWriteKeyId,
  generateWriteKeySecret,
  parseWriteKey,
} from './write-key';

test('a write key round-trips and is usable as an HTTP Basic username and in a URL', () => {
  for (let i = 0; i < 200; i++) {
    const keyId = generateWriteKeyId();
    const secret = generateWriteKeySecret();
    const key = formatWriteKey(keyId, secret);
    assert.match(key, /^wk_[0-9a-f]{24}[A-Za-z0-9_-]{43}$/);
    assert.ok(!key.includes(':'));
    assert.equal(encodeURIComponent(key), key);
    assert.deepEqual(parseWriteKey(key), { keyId, secret });
  }
});

test('malformed write keys are refused before any work', () => {
  const key = formatWriteKey(generateWriteKeyId(), generateWriteKeySecret());
  for (const bad of [
    '',
    key.slice(1),
    `${key}x`,
    key.replace('wk_', 'wx_'),
    `wk_${'G'.repeat(24)}${key.slice(27)}`,
    `${key.slice(0, -1)}:`,
    `cdp_sk_${'a'.repeat(24)}_${'b'.repeat(43)}`,
  ]) {
    assert.equal(parseWriteKey(bad), undefined, bad);
  }
});
