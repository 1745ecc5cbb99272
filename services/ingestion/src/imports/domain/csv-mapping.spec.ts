import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCsvMapping, convertCell, csvRecordToEvent, type CsvPlan } from './csv-mapping';
import type { CsvMappingSpec } from './import-job';

function plan(header: string[], spec?: CsvMappingSpec): CsvPlan {
  const compiled = compileCsvMapping(header, spec);
  assert.ok(compiled.ok, JSON.stringify(compiled));
  return compiled.value;
}

test('columns named like Segment fields map to them; others become traits of an identify', () => {
  const p = plan(['user_id', 'Email', 'plan', 'traits.age']);
  assert.deepEqual(csvRecordToEvent(p, ['u1', 'a@b.c', 'pro', '42']), {
    event: { type: 'identify', userId: 'u1', traits: { email: 'a@b.c', plan: 'pro', age: '42' } },
  });
});

test('a row naming an event is a track; other columns become properties, email goes to context.traits', () => {
  const p = plan(['anonymousId', 'event', 'price', 'email']);
  assert.deepEqual(csvRecordToEvent(p, ['a1', 'Order Completed', '9.5', 'x@y.z']), {
    event: {
      type: 'track',
      anonymousId: 'a1',
      event: 'Order Completed',
      properties: { price: '9.5' },
      context: { traits: { email: 'x@y.z' } },
    },
  });
});

test('a mapping renames columns, types values, ignores columns and sets constants', () => {
  const p = plan(['id', 'amount', 'vip', 'joined', 'junk'], {
    columns: {
      id: 'userId',
      amount: { target: 'properties.total', type: 'number' },
      vip: { target: 'properties.vip', type: 'boolean' },
      joined: { target: 'timestamp', type: 'date' },
      junk: null,
    },
    constants: { type: 'track', event: 'Imported Purchase', 'context.source': 'csv' },
  });
  assert.deepEqual(csvRecordToEvent(p, ['u9', '12.50', 'yes', '2024-01-02T03:04:05Z', 'x']), {
    event: {
      type: 'track',
      event: 'Imported Purchase',
      context: { source: 'csv' },
      userId: 'u9',
      properties: { total: 12.5, vip: true },
      timestamp: '2024-01-02T03:04:05.000Z',
    },
  });
});

test('a cell that does not convert rejects the row, naming the column', () => {
  const p = plan(['userId', 'amount'], {
    columns: { amount: { target: 'traits.amount', type: 'number' } },
  });
  assert.deepEqual(csvRecordToEvent(p, ['u1', 'twelve']), {
    errors: [{ field: 'amount', message: '"twelve" is not a number' }],
  });
});

test('empty cells are absent fields', () => {
  const p = plan(['userId', 'anonymousId', 'plan']);
  assert.deepEqual(csvRecordToEvent(p, ['', 'a1', '']), {
    event: { type: 'identify', anonymousId: 'a1' },
  });
});

test('inferTypes converts number- and boolean-looking cells but never ids', () => {
  const p = plan(['userId', 'n', 'b', 's'], { inferTypes: true });
  assert.deepEqual(csvRecordToEvent(p, ['123', '42', 'true', '007x']), {
    event: { type: 'identify', userId: '123', traits: { n: 42, b: true, s: '007x' } },
  });
});

test('unmapped: ignore drops columns that are neither mapped nor Segment fields', () => {
  const p = plan(['userId', 'other'], { unmapped: 'ignore' });
  assert.deepEqual(csvRecordToEvent(p, ['u', 'x']), { event: { type: 'identify', userId: 'u' } });
});

test('a column named __proto__ is data, not a prototype', () => {
  const p = plan(['userId', '__proto__']);
  const result = csvRecordToEvent(p, ['u', 'polluted']);
  assert.ok('event' in result);
  const traits = result.event.traits as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(traits), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(traits, '__proto__')?.value, 'polluted');
});

test('a mapping naming unknown columns or targets is refused with each problem', () => {
  const compiled = compileCsvMapping(['a', 'a', 'b'], {
    columns: { missing: 'userId', b: 'nowhere' },
    constants: { 'traits.__proto__.x': 1 },
  });
  assert.equal(compiled.ok, false);
  assert.ok(!compiled.ok);
  assert.deepEqual(
    compiled.errors.map((e) => e.field),
    [
      'mapping.columns.missing',
      'header[1]',
      'mapping.columns.b',
      'mapping.constants.traits.__proto__.x',
    ],
  );
});

test('cells convert by type', () => {
  assert.deepEqual(convertCell('1700000000', 'date'), { value: '2023-11-14T22:13:20.000Z' });
  assert.deepEqual(convertCell('nope', 'date'), { error: '"nope" is not a date' });
  assert.deepEqual(convertCell('1.5', 'integer'), { error: '"1.5" is not an integer' });
  assert.deepEqual(convertCell('{"a":[1]}', 'json'), { value: { a: [1] } });
  assert.deepEqual(convertCell('0', 'boolean'), { value: false });
  assert.deepEqual(convertCell('', 'number'), { error: '"" is not a number' });
});
