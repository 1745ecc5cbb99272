import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  correctedTimestamp,
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
  parseIsoTimestamp,
} from './timestamp';

test('ISO-8601 forms parse to UTC whatever the server zone', () => {
  const z = Date.UTC(2025, 2, 1, 10, 0, 0, 123);
  assert.equal(parseIsoTimestamp('2025-03-01T10:00:00.123Z'), z);
  assert.equal(parseIsoTimestamp('2025-03-01T10:00:00.123456Z'), z);
  assert.equal(parseIsoTimestamp('2025-03-01T11:00:00.123+01:00'), z);
  assert.equal(parseIsoTimestamp('2025-03-01T05:30:00.123-0430'), z);
  assert.equal(parseIsoTimestamp('2025-03-01T10:00:00.123'), z);
  assert.equal(parseIsoTimestamp('2025-03-01'), Date.UTC(2025, 2, 1));
});

test('anything else is refused', () => {
  for (const bad of [
    'yesterday',
    '2025-02-30T00:00:00Z',
    '2025-13-01',
    '2025-03-01T24:00:00Z',
    '1700000000',
    '',
    '1899-12-31T23:59:59Z',
    '2300-01-01',
    '2025-03-01T10:00:00+25:00',
    `2025-03-01T10:00:00Z${' '.repeat(50)}`,
  ])
    assert.equal(parseIsoTimestamp(bad), undefined, bad);
});

test('skew correction: receivedAt - (sentAt - originalTimestamp); else the client time; else receivedAt', () => {
  assert.equal(correctedTimestamp(1_000_000, 3_595_000, 3_600_000), 995_000);
  assert.equal(correctedTimestamp(1_000_000, 500, undefined), 500);
  assert.equal(correctedTimestamp(1_000_000, undefined, 3_600_000), 1_000_000);
});

test('the canonical fast path agrees with Date for any SDK timestamp, and refuses impossible dates', () => {
  fc.assert(
    fc.property(
      fc.date({
        min: new Date(MIN_TIMESTAMP_MS),
        max: new Date(MAX_TIMESTAMP_MS),
        noInvalidDate: true,
      }),
      (date) => {
        const iso = date.toISOString();
        return parseIsoTimestamp(iso) === date.getTime();
      },
    ),
    { numRuns: 2000 },
  );
  assert.equal(parseIsoTimestamp('2023-02-29T00:00:00.000Z'), undefined);
  assert.equal(parseIsoTimestamp('2024-02-29T24:00:00.000Z'), undefined);
  assert.equal(parseIsoTimestamp('2024-13-01T00:00:00.000Z'), undefined);
  assert.equal(
    parseIsoTimestamp('2024-02-29T23:59:59.999Z'),
    Date.UTC(2024, 1, 29, 23, 59, 59, 999),
  );
});
