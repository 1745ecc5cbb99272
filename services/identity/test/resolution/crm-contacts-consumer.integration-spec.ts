import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SUBJECTS } from '@cdp/contracts';
import { acceptedEvent, startIdentity, type IdentityHarness } from '../support/harness';

let h: IdentityHarness;

before(async () => {
  h = await startIdentity({ IDENTITY_SOURCE_KINDS: 'src_backend=server' });
});
after(async () => {
  await h.close();
});

let crmMessages = 0;

/** Publishes a CrmEvent (canonical JSON) the way the CRM service does. */
async function publishContact(
  workspaceId: string,
  type: 'created' | 'updated' | 'archived',
  contactId: string,
  version: number,
  payload: Record<string, unknown>,
): Promise<void> {
  await h.platform.infrastructure.publisher.publish(
    `cdp.crm.contact.${type}.v1.${workspaceId}`,
    {
      aggregateType: 'contact',
      aggregateId: contactId,
      aggregateVersion: String(version),
      type,
      payload,
      actor: { type: 'ACTOR_TYPE_USER', id: 'rep-1' },
    },
    {
      messageId: `crm-${process.pid}-${++crmMessages}`,
      workspaceId,
      schema: 'cdp.crm.v1.CrmEvent',
    },
  );
}

interface ResolvedItem {
  type: string;
  messageId: string;
  sourceId: string;
  timestamp: string;
  profileId?: string;
  traits?: Record<string, unknown>;
  context?: { crm?: Record<string, unknown> };
}

function echoes(ws: string): ResolvedItem[] {
  return h.published
    .filter((p) => p.subject.startsWith(`${SUBJECTS.eventResolved}.${ws}.`))
    .flatMap((p) => (p.body as { items: ResolvedItem[] }).items)
    .filter((i) => i.sourceId === 'crm');
}

async function profileOf(ws: string, type: string, value: string): Promise<string | undefined> {
  const rows = await h.postgres.query<{ profile_id: string }[]>(
    'SELECT profile_id FROM identity.identifiers WHERE workspace_id = $1 AND type = $2 AND value = $3',
    [ws, type, value],
  );
  return rows[0]?.profile_id;
}

test('a CRM contact joins the visitor who gave the same email, and comes back as a synthetic identify', async () => {
  const ws = h.tenant.workspaceId;
  await h.publishAccepted(ws, [
    acceptedEvent(ws, {
      type: 'identify',
      anonymousId: 'anon-1',
      traits: { email: 'Ivanov@Mail.example' },
    }),
  ]);
  const visitor = await h.eventually(() => profileOf(ws, 'anonymous_id', 'anon-1'));

  await publishContact(ws, 'created', 'ct_1', 1, {
    fields: { email: 'ivanov@mail.example ', phone: '+7 916 123-45-67', firstName: 'Ivan' },
    customFields: {},
    origin: 'crm',
    occurredAt: '2025-03-01T10:00:00.000Z',
  });
  const [echo] = await h.eventually(() => {
    const found = echoes(ws);
    return found.length >= 1 ? found : undefined;
  });
  assert.deepEqual(echo, {
    type: 'identify',
    messageId: 'crm-contact-ct_1-v1',
    workspaceId: ws,
    sourceId: 'crm',
    timestamp: '2025-03-01T10:00:00.000Z',
    traits: { email: 'ivanov@mail.example ', phone: '+7 916 123-45-67', firstName: 'Ivan' },
    context: { crm: { aggregateType: 'contact', aggregateId: 'ct_1', version: 1, origin: 'crm' } },
    profileId: visitor,
  });
  assert.equal(await profileOf(ws, 'crm_contact_id', 'ct_1'), visitor);
  assert.equal(await profileOf(ws, 'phone', '+79161234567'), visitor);
  const resolvedMsgIds = h.published
    .filter((p) => p.subject.startsWith(`${SUBJECTS.eventResolved}.${ws}.`))
    .map((p) => p.msgId);
  assert.ok(resolvedMsgIds.includes(`${ws}:resolved:crm-contact-ct_1-v1`));

  // identity_map learns the contact id (highest version wins).
  await h.eventually(async () => {
    const result = await h.clickhouse.query({
      query: `SELECT argMax(profile_id, version) AS profile FROM identity_map
              WHERE workspace_id = {ws:String} AND identifier_type = 'crm_contact_id'
                AND identifier_value = 'ct_1'`,
      query_params: { ws },
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ profile: string }>();
    return rows[0]?.profile === visitor ? true : undefined;
  });
});

test('the CRM is trusted: a contact with the email of one customer and the phone of another merges them', async () => {
  const ws = (await h.newTenant()).workspaceId;
  await h.publishAccepted(ws, [
    acceptedEvent(ws, { type: 'identify', userId: 'u-1', traits: { email: 'one@x.io' } }),
    acceptedEvent(ws, {
      type: 'identify',
      sourceId: 'src_backend',
      anonymousId: 'anon-2',
      traits: { phone: '+14155550123' },
    }),
  ]);
  const first = await h.eventually(() => profileOf(ws, 'user_id', 'u-1'));
  const second = await h.eventually(() => profileOf(ws, 'phone', '+14155550123'));
  assert.notEqual(first, second);

  await publishContact(ws, 'created', 'ct_9', 1, {
    fields: { email: 'one@x.io', phone: '+1 415 555 0123' },
    origin: 'import',
  });
  const merged = await h.eventually(() =>
    h.published.find((p) => p.subject === `${SUBJECTS.profileMerged}.${ws}`),
  );
  const body = merged.body as {
    survivingProfileId: string;
    evidence: { source: string; sourceId: string }[];
  };
  assert.equal(body.survivingProfileId, first);
  assert.equal(body.evidence[0]?.source, 'EVIDENCE_SOURCE_CRM');
  assert.equal(body.evidence[0]?.sourceId, 'crm-contact-ct_9-v1');
  assert.equal(await profileOf(ws, 'phone', '+14155550123'), first);
  assert.equal(await profileOf(ws, 'crm_contact_id', 'ct_9'), first);
});

test('CDP echoes and non-identity contact events are acked unread; a redelivered change changes nothing', async () => {
  const ws = (await h.newTenant()).workspaceId;
  await publishContact(ws, 'created', 'ct_5', 1, {
    fields: { email: 'five@x.io' },
    origin: 'crm',
    occurredAt: '2025-04-01T00:00:00Z',
  });
  const profile = await h.eventually(() => profileOf(ws, 'crm_contact_id', 'ct_5'));
  const versions = await h.postgres.query<unknown[]>(
    'SELECT id, version FROM identity.profiles WHERE workspace_id = $1 ORDER BY id',
    [ws],
  );

  // The CRM wrote back something the CDP told it: not evidence (no loop).
  await publishContact(ws, 'updated', 'ct_5', 2, {
    fields: { phone: '+14155550199' },
    origin: 'cdp',
  });
  await publishContact(ws, 'archived', 'ct_5', 3, { origin: 'crm' });
  // The same change as version 1 again (a redelivery after a crash), then a real update.
  await publishContact(ws, 'created', 'ct_5', 1, {
    fields: { email: 'five@x.io' },
    origin: 'crm',
    occurredAt: '2025-04-01T00:00:00Z',
  });
  await publishContact(ws, 'updated', 'ct_5', 4, {
    fields: { email: 'FIVE.new@x.io' },
    origin: 'crm',
  });

  await h.eventually(() => profileOf(ws, 'email', 'five.new@x.io'));
  assert.equal(await profileOf(ws, 'email', 'five.new@x.io'), profile);
  assert.equal(await profileOf(ws, 'phone', '+14155550199'), undefined, 'the cdp echo is ignored');
  const ids = echoes(ws).map((e) => e.messageId);
  assert.deepEqual(ids, ['crm-contact-ct_5-v1', 'crm-contact-ct_5-v1', 'crm-contact-ct_5-v4']);
  const [v1, again] = echoes(ws);
  assert.deepEqual(again, v1, 'the redelivered change is resolved the same way');
  const [row] = await h.postgres.query<{ n: number }[]>(
    'SELECT count(*)::int AS n FROM identity.profiles WHERE workspace_id = $1',
    [ws],
  );
  assert.equal(row?.n, 1);
  assert.notDeepEqual(versions, [], 'the profile existed before the update');
});
