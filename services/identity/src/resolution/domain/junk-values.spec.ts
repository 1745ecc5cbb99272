import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJunkValue } from './junk-values';

test('the values SDKs send for "no value" are junk, case- and whitespace-insensitive', () => {
  const junk = [
    '',
    '   ',
    '\t\n',
    'null',
    'NULL',
    ' Null ',
    'undefined',
    'None',
    'NaN',
    '[object Object]',
    'anonymous',
    'Guest',
    'true',
    'FALSE',
    '-1',
    '0',
    '0000',
    '00000000-0000-0000-0000-000000000000',
    '-',
    '---',
  ];
  for (const value of junk) assert.equal(isJunkValue(value), true, JSON.stringify(value));
});

test('quoted variants are junk too, however often they are quoted', () => {
  for (const value of ['"null"', "'undefined'", '" None "', `"'NaN'"`, '`guest`', '""', "''"])
    assert.equal(isJunkValue(value), true, value);
});

test('real identifiers are not junk', () => {
  for (const value of [
    'a1b2c3',
    'user-1',
    'null-island@example.com',
    'guest123',
    '-12',
    '10',
    '"quoted-id"',
    'f3a8c1d0-0000-4000-8000-000000000001',
  ])
    assert.equal(isJunkValue(value), false, value);
});
