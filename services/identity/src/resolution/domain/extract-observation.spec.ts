import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractObservation, type IdentityEventInput } from './extract-observation';
import { IdentityConfig } from './identity-config';

const config = IdentityConfig.from({
  defaultPhoneRegion: 'US',
  customTypes: [
    { type: 'device_id' },
    { type: 'loyalty_id', class: 'known', paths: ['properties.loyaltyId', 'traits.loyaltyId'] },
  ],
});
const event = (
  e: Partial<IdentityEventInput> & Pick<IdentityEventInput, 'type'>,
): IdentityEventInput => ({
  messageId: 'm1',
  workspaceId: 'w1',
  sourceId: 'src_web',
  timestamp: '2025-01-01T10:00:00.000Z',
  ...e,
});
const keys = (e: IdentityEventInput): string[] =>
  extractObservation(e, config, 'browser')
    .observation.identifiers.map((i) => `${i.type}:${i.value}`)
    .sort();

test('identify links its ids, identifying traits and context identifiers', () => {
  const e = event({
    type: 'identify',
    userId: 'u1',
    anonymousId: 'a1',
    traits: {
      email: 'Ivanov@Example.com',
      phone: '(415) 555-2671',
      loyaltyId: 'L-7',
      name: 'Ivan',
    },
    context: {
      device: { id: 'dev-1' },
      externalIds: [
        { id: 'crm-9', type: 'crm_contact_id' },
        { id: 'x', type: 'nope' },
      ],
    },
  });
  assert.deepEqual(keys(e), [
    'anonymous_id:a1',
    'crm_contact_id:crm-9',
    'device_id:dev-1',
    'email:ivanov@example.com',
    'loyalty_id:L-7',
    'phone:+14155552671',
    'user_id:u1',
  ]);
});

test('track links anonymousId and userId plus context, never traits', () => {
  const e = event({
    type: 'track',
    userId: 'u1',
    anonymousId: 'a1',
    traits: { email: 'ignored@example.com' },
    properties: { email: 'invitee@example.com', loyaltyId: 'L-7' },
    context: { traits: { email: 'me@example.com' } },
  });
  assert.deepEqual(keys(e), [
    'anonymous_id:a1',
    'email:me@example.com',
    'loyalty_id:L-7',
    'user_id:u1',
  ]);
  assert.deepEqual(keys(event({ type: 'page', anonymousId: 'a1' })), ['anonymous_id:a1']);
  assert.deepEqual(keys(event({ type: 'screen', userId: 'u1', anonymousId: '' })), ['user_id:u1']);
});

test('group takes the ids and context, not the group traits (they describe the account)', () => {
  assert.deepEqual(
    keys(event({ type: 'group', userId: 'u1', traits: { email: 'billing@acme.com' } })),
    ['user_id:u1'],
  );
});

test('alias links previousId to userId; previousId is typed at resolution', () => {
  const { observation } = extractObservation(
    event({ type: 'alias', userId: 'u1', previousId: 'a-old', anonymousId: 'a-now' }),
    config,
    'server',
  );
  assert.deepEqual(observation.identifiers, [{ type: 'user_id', value: 'u1' }]);
  assert.equal(observation.previousId, 'a-old');
  assert.equal(observation.evidence.sourceKind, 'server');
  const junk = extractObservation(
    event({ type: 'alias', userId: 'u1', previousId: 'null' }),
    config,
    'server',
  );
  assert.equal(junk.observation.previousId, undefined);
  assert.equal(junk.rejected[0]?.rule, 'identifier.junk_value');
});

test('refused values are reported with their path and rule; evidence comes from the event', () => {
  const { observation, rejected } = extractObservation(
    event({
      type: 'identify',
      userId: 'undefined',
      anonymousId: 'a1',
      traits: { email: 'nope', phone: null },
    }),
    config,
    'mobile',
  );
  assert.deepEqual(observation.identifiers, [{ type: 'anonymous_id', value: 'a1' }]);
  assert.deepEqual(
    rejected.map((r) => [r.path, r.rule]),
    [
      ['userId', 'identifier.junk_value'],
      ['traits.email', 'identifier.invalid_email'],
      ['traits.phone', 'identifier.junk_value'],
    ],
  );
  assert.deepEqual(observation.evidence, {
    source: 'event',
    messageId: 'm1',
    sourceId: 'src_web',
    sourceKind: 'mobile',
    observedAt: '2025-01-01T10:00:00.000Z',
  });
});
