import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseLookupValue } from './profile-queries.service';

test('lookup values are normalised like identity stores identifiers', () => {
  assert.equal(normaliseLookupValue('email', ' Ivanov@Mail.Example '), 'ivanov@mail.example');
  assert.equal(normaliseLookupValue('email', 'mailto:a@b.example'), 'a@b.example');
  assert.equal(normaliseLookupValue('phone', '+7 916 123-45-67'), '+79161234567');
  assert.equal(normaliseLookupValue('phone', '0079161234567'), '+79161234567');
  assert.equal(normaliseLookupValue('user_id', ' User-1 '), 'User-1', 'ids stay case-sensitive');
});
