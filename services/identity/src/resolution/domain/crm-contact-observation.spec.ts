import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  crmContactObservation,
  crmContactPartition,
  crmContactResolvedEvent,
  isCrmEcho,
  type CrmContactChange,
} from './crm-contact-observation';
import { IdentityConfig } from './identity-config';

const change: CrmContactChange = {
  workspaceId: 'ws_1',
  contactId: 'ct_17',
  version: 3,
  type: 'updated',
  fields: { email: ' Ivanov@Mail.Example ', phone: '+7 916 123-45-67', firstName: 'Ivan' },
  origin: 'crm',
  occurredAt: '2025-02-01T10:00:00.000Z',
};

test('a contact change observes its contact id, email and phone with trusted crm evidence', () => {
  const { observation, rejected } = crmContactObservation(change, IdentityConfig.DEFAULT);
  assert.deepEqual(observation.identifiers, [
    { type: 'crm_contact_id', value: 'ct_17' },
    { type: 'email', value: 'ivanov@mail.example' },
    { type: 'phone', value: '+79161234567' },
  ]);
  assert.deepEqual(rejected, []);
  assert.deepEqual(observation.evidence, {
    source: 'crm',
    messageId: 'crm-contact-ct_17-v3',
    sourceId: 'crm',
    sourceKind: 'crm',
    observedAt: '2025-02-01T10:00:00.000Z',
  });
  assert.ok(IdentityConfig.DEFAULT.isTrusted(observation.evidence.sourceKind));
});

test('cleared, junk and invalid values are not identifiers (the junk is reported)', () => {
  const { observation, rejected } = crmContactObservation(
    { ...change, fields: { email: null, phone: 'n/a' } },
    IdentityConfig.DEFAULT,
  );
  assert.deepEqual(observation.identifiers, [{ type: 'crm_contact_id', value: 'ct_17' }]);
  assert.deepEqual(
    rejected.map((r) => [r.path, r.rule]),
    [['payload.fields.phone', 'identifier.junk_value']],
  );
});

test('the echo is a synthetic identify with Segment traits and context.crm', () => {
  const echo = crmContactResolvedEvent(
    { ...change, fields: { ...change.fields, lastName: null, ownerId: 'u_1' } },
    'prof_1',
  );
  assert.deepEqual(echo, {
    type: 'identify',
    messageId: 'crm-contact-ct_17-v3',
    workspaceId: 'ws_1',
    sourceId: 'crm',
    timestamp: '2025-02-01T10:00:00.000Z',
    traits: {
      firstName: 'Ivan',
      lastName: null,
      email: ' Ivanov@Mail.Example ',
      phone: '+7 916 123-45-67',
    },
    context: { crm: { aggregateType: 'contact', aggregateId: 'ct_17', version: 3, origin: 'crm' } },
    profileId: 'prof_1',
  });
  assert.equal('profileId' in crmContactResolvedEvent(change, null), false);
});

test('CDP echoes are recognised; partitions are stable per contact', () => {
  assert.equal(isCrmEcho({ origin: 'cdp' }), true);
  assert.equal(isCrmEcho({ origin: 'import' }), false);
  const p = crmContactPartition('ws_1', 'ct_17');
  assert.equal(p, crmContactPartition('ws_1', 'ct_17'));
  assert.ok(p >= 0 && p < 8);
});
