import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { JsonObject } from '../../events/domain/accepted-event';
import { encodeTypedJson, wellFormed } from './typed-json';

void test('plain JSON is written as JSON.stringify writes it', () => {
  const value = { a: 1, b: 'x', c: [1, { d: null }], e: {}, big: 9007199254740991, f: 1.5 };
  assert.equal(encodeTypedJson(value), JSON.stringify(value));
});

void test('lone surrogates (values and keys) become U+FFFD; pairs are kept', () => {
  assert.equal(encodeTypedJson({ text: '\ud800x' }), '{"text":"\ufffdx"}');
  assert.equal(encodeTypedJson({ '\udc00': 1 }), '{"\ufffd":1}');
  assert.equal(
    encodeTypedJson({ emoji: '😀', lone: 'a\ud83d' }),
    '{"emoji":"😀","lone":"a\ufffd"}',
  );
  assert.equal(wellFormed('ok'), 'ok');
});

void test('integers of magnitude >= 2^63 are written in exponent notation (Float64)', () => {
  assert.equal(
    encodeTypedJson({ count: 18446744073709551616 }),
    '{"count":1.8446744073709552e+19}',
  );
  assert.equal(
    encodeTypedJson(JSON.parse('{"n":[-9223372036854775809,1]}') as JsonObject),
    '{"n":[-9.223372036854776e+18,1]}',
  );
  assert.equal(encodeTypedJson({ n: 2 ** 63 }), '{"n":9.223372036854776e+18}');
  // below 2^63: untouched
  assert.equal(encodeTypedJson({ n: 2 ** 62, f: 1e300 }), '{"n":4611686018427388000,"f":1e+300}');
  // digits inside strings are not numbers
  assert.equal(encodeTypedJson({ s: '18446744073709551616' }), '{"s":"18446744073709551616"}');
});

void test('the output is always JSON that parses to the same value, sanitised', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, text) => {
      const object = { value, text } as JsonObject;
      const encoded = encodeTypedJson(object);
      assert.doesNotMatch(encoded, /\\ud[89a-f]/i, 'no lone surrogate escape');
      const decoded: unknown = JSON.parse(encoded);
      const expected: unknown = JSON.parse(
        JSON.stringify(object, (_k, v: unknown) => {
          if (typeof v === 'string') return wellFormed(v);
          if (v !== null && typeof v === 'object' && !Array.isArray(v))
            return Object.fromEntries(Object.entries(v).map(([k, x]) => [wellFormed(k), x]));
          return v;
        }),
      );
      assert.deepEqual(decoded, expected);
    }),
    { numRuns: 300 },
  );
});
