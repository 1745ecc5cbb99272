import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdentityConfig, IdentityConfigError, type IdentityConfigInput } from './identity-config';

test('defaults: user_id, email, then the rest; 1 user_id ever, 5 of the others', () => {
  const config = IdentityConfig.from({ customTypes: [{ type: 'device_id' }] });
  assert.deepEqual(
    config.types.map((t) => t.type),
    ['user_id', 'email', 'phone', 'crm_contact_id', 'anonymous_id', 'device_id'],
  );
  assert.equal(config.limit('user_id'), 1);
  assert.equal(config.limit('email'), 5);
  assert.equal(config.limit('device_id'), 5);
  assert.equal(config.mergeProtection, true);
  assert.equal(config.classOf('anonymous_id'), 'anonymous');
  assert.equal(config.classOf('email'), 'known');
  assert.equal(config.classOf('device_id'), 'anonymous', 'custom types are anonymous by default');
  assert.deepEqual(config.typeConfig('device_id')?.paths, ['context.device.id']);
  assert.deepEqual(config.typeConfig('email')?.paths, ['traits.email', 'context.traits.email']);
  assert.equal(config.isTrusted('server'), true);
  assert.equal(config.isTrusted('browser'), false);
  assert.equal(config.isTrusted('mobile'), false);
});

test('a custom priority puts the listed types first, the others keep the default order', () => {
  const config = IdentityConfig.from({
    customTypes: [{ type: 'loyalty_id', class: 'known', paths: ['traits.loyaltyId'] }],
    priority: ['loyalty_id', 'email'],
    limits: { email: 2 },
    paths: { email: ['context.traits.contact.email'] },
  });
  assert.deepEqual(
    config.types.map((t) => t.type),
    ['loyalty_id', 'email', 'user_id', 'phone', 'crm_contact_id', 'anonymous_id'],
  );
  assert.equal(config.limit('email'), 2);
  assert.equal(config.classOf('loyalty_id'), 'known');
  assert.deepEqual(config.typeConfig('email')?.paths, [
    'traits.email',
    'context.traits.email',
    'context.traits.contact.email',
  ]);
  assert.ok(
    config.compare({ type: 'loyalty_id', value: 'z' }, { type: 'user_id', value: 'a' }) < 0,
  );
});

test('invalid configuration is refused with the offending field named', () => {
  const cases: [IdentityConfigInput, string][] = [
    [{ customTypes: [{ type: 'Device-Id' }] }, 'customTypes[0].type'],
    [{ customTypes: [{ type: 'email' }] }, 'customTypes[0].type'],
    [{ priority: ['email', 'email'] }, 'priority[1]'],
    [{ priority: ['loyalty_id'] }, 'priority[0]'],
    [{ limits: { user_id: 0 } }, 'limits.user_id'],
    [{ limits: { email: 1.5 } }, 'limits.email'],
    [{ limits: { nope: 1 } }, 'limits.nope'],
    [{ paths: { email: ['email'] } }, 'paths.email[2]'],
    [{ blockLists: { email: [{ kind: 'regex', pattern: '(' }] } }, 'blockLists.email[0].pattern'],
    [{ blockLists: { email: [{ kind: 'exact', pattern: '' }] } }, 'blockLists.email[0].pattern'],
    [{ defaultPhoneRegion: 'XX' }, 'defaultPhoneRegion'],
    [{ trustedSourceKinds: ['browser', 'tablet'] }, 'trustedSourceKinds[1]'],
  ];
  for (const [input, field] of cases) {
    assert.throws(
      () => IdentityConfig.from(input),
      (error: unknown) =>
        error instanceof IdentityConfigError &&
        error.kind === 'invalid' &&
        error.code === 'identity.config_invalid' &&
        error.details?.['field'] === field &&
        error.message.startsWith(field),
      JSON.stringify(input),
    );
  }
});

test('block lists match exact values case-insensitively and regexes', () => {
  const config = IdentityConfig.from({
    blockLists: {
      email: [
        { kind: 'exact', pattern: 'Test@Example.com' },
        { kind: 'regex', pattern: '@mailinator\\.com$' },
      ],
    },
  });
  assert.deepEqual(config.blockedBy('email', 'test@example.com'), {
    kind: 'exact',
    pattern: 'test@example.com',
  });
  assert.equal(config.blockedBy('email', 'x@MAILINATOR.com')?.kind, 'regex');
  assert.equal(config.blockedBy('email', 'ivanov@example.com'), undefined);
  assert.equal(config.blockedBy('phone', 'test@example.com'), undefined, 'lists are per type');
});
