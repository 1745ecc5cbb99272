import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCrmContactEvent } from './crm-contact-event.schema';

const body = {
  aggregateType: 'contact',
  aggregateId: 'ct_1',
  aggregateVersion: '2',
  type: 'updated',
  payload: { fields: { email: 'a@x.io' }, origin: 'crm', occurredAt: '2025-01-01T00:00:00Z' },
  actor: { type: 'ACTOR_TYPE_USER', id: 'u_1' },
};
const message = {
  workspaceId: 'ws_1',
  subject: 'cdp.crm.contact.updated.v1.ws_1',
  occurredAtHeader: undefined,
};
const never = (): string => assert.fail('no fallback expected');

test('a CrmEvent body becomes a contact change (uint64 version as a string)', () => {
  const parsed = parseCrmContactEvent(body, message, never);
  assert.equal(parsed.kind, 'change');
  if (parsed.kind !== 'change') return;
  assert.deepEqual(parsed.change, {
    workspaceId: 'ws_1',
    contactId: 'ct_1',
    version: 2,
    type: 'updated',
    fields: { email: 'a@x.io' },
    origin: 'crm',
    occurredAt: '2025-01-01T00:00:00.000Z',
  });
});

test('an Envelope around the CrmEvent gives the change time', () => {
  const wrapped = {
    id: 'e1',
    workspaceId: 'ws_1',
    schema: 'cdp.crm.v1.CrmEvent',
    occurredAt: '2025-03-01T10:00:00Z',
    payload: { ...body, payload: { fields: {} } },
  };
  const parsed = parseCrmContactEvent(wrapped, message, never);
  assert.equal(parsed.kind === 'change' && parsed.change.occurredAt, '2025-03-01T10:00:00.000Z');
  const foreign = parseCrmContactEvent({ ...wrapped, workspaceId: 'ws_2' }, message, never);
  assert.equal(foreign.kind, 'invalid');
});

test("the CrmEvent's own occurredAt (as the CRM publishes it) is the change time", () => {
  const published = { ...body, occurredAt: '2025-04-02T08:30:00Z', payload: { fields: {} } };
  const parsed = parseCrmContactEvent(published, message, never);
  assert.equal(parsed.kind === 'change' && parsed.change.occurredAt, '2025-04-02T08:30:00.000Z');
});

test('other contact events are skipped; mismatches and malformed bodies are invalid', () => {
  const archived = parseCrmContactEvent(
    body,
    { ...message, subject: 'cdp.crm.contact.archived.v1.ws_1' },
    never,
  );
  assert.equal(archived.kind, 'skip');
  assert.equal(
    parseCrmContactEvent(body, { ...message, workspaceId: 'ws_2' }, never).kind,
    'invalid',
  );
  assert.equal(
    parseCrmContactEvent(body, { ...message, workspaceId: undefined }, never).kind,
    'invalid',
  );
  assert.equal(
    parseCrmContactEvent({ ...body, type: 'created' }, message, never).kind,
    'invalid',
    'type differs from the subject',
  );
  assert.equal(
    parseCrmContactEvent({ ...body, aggregateVersion: 'x' }, message, never).kind,
    'invalid',
  );
});

test('without any time, the fallback is used', () => {
  const parsed = parseCrmContactEvent(
    { ...body, payload: { fields: {} } },
    message,
    () => '2025-05-05T00:00:00Z',
  );
  assert.equal(parsed.kind === 'change' && parsed.change.occurredAt, '2025-05-05T00:00:00.000Z');
});
