import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdentityConfig } from './identity-config';
import { normaliseIdentifier } from './normalise-identifier';

const config = IdentityConfig.from({
  defaultPhoneRegion: 'ru',
  customTypes: [{ type: 'device_id' }],
  blockLists: {
    user_id: [{ kind: 'regex', pattern: '^test-' }],
    phone: [{ kind: 'exact', pattern: '+79990000000' }],
  },
});
const value = (type: string, raw: unknown): string | undefined => {
  const result = normaliseIdentifier(config, type, raw);
  return result.ok ? result.identifier.value : undefined;
};
const rule = (type: string, raw: unknown): string | undefined => {
  const result = normaliseIdentifier(config, type, raw, 'traits.x');
  return result.ok ? undefined : result.rejected.rule;
};

test('emails are trimmed and lower-cased, and must look like emails', () => {
  assert.equal(value('email', '  Ivan.Ivanov@Example.COM '), 'ivan.ivanov@example.com');
  assert.equal(value('email', 'mailto:a@b.io'), 'a@b.io');
  for (const bad of [
    'ivanov',
    'ivanov@',
    '@example.com',
    'a b@example.com',
    'a@example',
    'a@@b.com',
  ])
    assert.equal(rule('email', bad), 'identifier.invalid_email', bad);
});

test("phones become E.164, national numbers read in the workspace's default region", () => {
  assert.equal(value('phone', '8 (916) 123-45-67'), '+79161234567');
  assert.equal(value('phone', '+7 916 123 45 67'), '+79161234567');
  assert.equal(value('phone', '+1 (415) 555-2671'), '+14155552671');
  assert.equal(rule('phone', '12345'), 'identifier.invalid_phone');
  assert.equal(rule('phone', 'call me'), 'identifier.invalid_phone');
  const noRegion = IdentityConfig.from({});
  const national = normaliseIdentifier(noRegion, 'phone', '8 (916) 123-45-67');
  assert.equal(national.ok, false, 'a national number without a default region is ambiguous');
});

test('ids are trimmed only (case-sensitive); integer ids are accepted as strings', () => {
  assert.equal(value('user_id', ' User-42 '), 'User-42');
  assert.equal(value('user_id', 42), '42');
  assert.equal(rule('user_id', 4.2), 'identifier.not_a_string');
  assert.equal(rule('user_id', { id: 1 }), 'identifier.not_a_string');
  assert.equal(rule('user_id', true), 'identifier.not_a_string');
});

test('junk values, over-long values, block lists and unknown types never become identifiers', () => {
  assert.equal(rule('anonymous_id', 'undefined'), 'identifier.junk_value');
  assert.equal(rule('email', '"null"'), 'identifier.junk_value');
  assert.equal(rule('device_id', '00000000-0000-0000-0000-000000000000'), 'identifier.junk_value');
  assert.equal(rule('user_id', null), 'identifier.junk_value');
  assert.equal(rule('user_id', 'x'.repeat(257)), 'identifier.too_long');
  assert.equal(rule('user_id', 'TEST-123'), 'identifier.blocked', 'regexes are case-insensitive');
  assert.equal(rule('phone', '8 999 000-00-00'), 'identifier.blocked', 'matched after normalising');
  assert.equal(rule('loyalty_id', 'L-1'), 'identifier.unknown_type');
  const result = normaliseIdentifier(config, 'user_id', 'test-1', 'userId');
  assert.deepEqual(result, {
    ok: false,
    rejected: {
      type: 'user_id',
      raw: 'test-1',
      rule: 'identifier.blocked',
      path: 'userId',
      detail: 'regex:^test-',
    },
  });
});
