import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatApiKey,
  generateKeyId,
  generateSecret,
  isKeyId,
  parseApiKey,
  SECRET_KEY_PREFIX,
} from './api-key-format';

void describe('secret API key format cdp_sk_<keyId>_<secret>', () => {
  void it('generates a 24-hex id and a 43-char base64url secret (32 bytes)', () => {
    const id = generateKeyId();
    const secret = generateSecret();
    assert.match(id, /^[0-9a-f]{24}$/);
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(secret, 'base64url').length, 32);
    assert.notEqual(generateSecret(), secret);
  });

  void it('round-trips format and parse, even when the secret contains "_"', () => {
    const id = 'a'.repeat(24);
    const secret = `_${'b'.repeat(20)}_${'c'.repeat(21)}`;
    const key = formatApiKey(id, secret);
    assert.equal(key, `${SECRET_KEY_PREFIX}${id}_${secret}`);
    assert.deepEqual(parseApiKey(key), { keyId: id, secret });
  });

  void it('round-trips every generated key (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (idBytes, secretBytes) => {
          const id = Buffer.from(idBytes).toString('hex');
          const secret = Buffer.from(secretBytes).toString('base64url');
          assert.deepEqual(parseApiKey(formatApiKey(id, secret)), { keyId: id, secret });
        },
      ),
    );
  });

  void it('rejects anything that is not a well-formed secret key', () => {
    const good = formatApiKey(generateKeyId(), generateSecret());
    const bad = [
      '',
      'cdp_sk_',
      good.replace('cdp_sk_', 'cdp_wk_'), // a source write key never authenticates here
      good.slice(0, -1),
      `${good}x`,
      good.toUpperCase(),
      good.replace(/^(cdp_sk_[0-9a-f]{24})_/, '$1-'),
      `Bearer ${good}`,
      `cdp_sk_${'g'.repeat(24)}_${generateSecret()}`, // id not hex
      `cdp_sk_${generateKeyId()}_${'='.repeat(43)}`, // secret not base64url
    ];
    for (const candidate of bad) assert.equal(parseApiKey(candidate), undefined, candidate);
    assert.equal(
      parseApiKey(`cdp_sk_${'A'.repeat(24)}_${generateSecret()}`),
      undefined,
      'upper-case id',
    );
  });

  void it('never throws on arbitrary input (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => void parseApiKey(s)));
  });

  void it('refuses to format an invalid id or secret', () => {
    assert.throws(() => formatApiKey('xyz', generateSecret()));
    assert.throws(() => formatApiKey(generateKeyId(), 'short'));
    assert.equal(isKeyId(generateKeyId()), true);
    assert.equal(isKeyId('../etc'), false);
  });
});
