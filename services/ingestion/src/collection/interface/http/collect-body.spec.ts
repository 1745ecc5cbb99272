import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { DomainError } from '@cdp/contracts';
import { decodeCollectBody, writeKeyFromAuthorization } from './collect-body';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof DomainError, String(error));
    return `${error.kind}:${error.code}`;
  }
  return 'no error';
};

test('JSON bytes or text decode to an object with their size and text', () => {
  assert.deepEqual(decodeCollectBody(Buffer.from('{"a":1}'), undefined, 100), {
    value: { a: 1 },
    bytes: 7,
    text: '{"a":1}',
    ascii: true,
  });
  const accented = decodeCollectBody('{"é":1}', 'identity', 100);
  assert.equal(accented.bytes, 8);
  assert.equal(accented.ascii, false);
  const zipped = gzipSync(Buffer.from('{"a":2}'));
  assert.deepEqual(decodeCollectBody(zipped, 'gzip', 100).value, { a: 2 });
});

test('every malformed body is a 4xx DomainError', () => {
  assert.equal(
    code(() => decodeCollectBody(Buffer.from('{"a":'), undefined, 100)),
    'invalid:request.invalid_json',
  );
  assert.equal(
    code(() => decodeCollectBody(Buffer.from('[1]'), undefined, 100)),
    'invalid:request.invalid_json',
  );
  assert.equal(
    code(() => decodeCollectBody(Buffer.from('null'), undefined, 100)),
    'invalid:request.invalid_json',
  );
  assert.equal(
    code(() => decodeCollectBody(Buffer.alloc(0), undefined, 100)),
    'invalid:request.empty_body',
  );
  assert.equal(
    code(() => decodeCollectBody(undefined, undefined, 100)),
    'invalid:request.empty_body',
  );
  assert.equal(
    code(() => decodeCollectBody(Buffer.from([0x7b, 0xff, 0x7d]), undefined, 100)),
    'invalid:request.invalid_utf8',
  );
  assert.equal(
    code(() => decodeCollectBody(Buffer.from('xx'), 'gzip', 100)),
    'invalid:request.invalid_gzip',
  );
  assert.equal(
    code(() => decodeCollectBody(Buffer.from('{}'), 'br', 100)),
    'unsupported:request.unsupported_encoding',
  );
  assert.equal(
    code(() => decodeCollectBody(Buffer.from(`{"a":"${'x'.repeat(200)}"}`), undefined, 100)),
    'too_large:request.too_large',
  );
  assert.equal(
    code(() => decodeCollectBody(gzipSync(Buffer.alloc(10_000_000, 32)), 'gzip', 1000)),
    'too_large:request.too_large',
  );
});

test('Basic credentials carry the write key as user name', () => {
  const b = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  assert.equal(writeKeyFromAuthorization(b('wk_1:')), 'wk_1');
  assert.equal(writeKeyFromAuthorization(b('wk_1')), 'wk_1');
  assert.equal(writeKeyFromAuthorization(b(':')), undefined);
  assert.equal(writeKeyFromAuthorization('Bearer x'), undefined);
  assert.equal(writeKeyFromAuthorization(undefined), undefined);
});
