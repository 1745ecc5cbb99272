import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SUBJECTS } from '@cdp/contracts';
import { startCrm, type CrmHarness } from '../support/harness';

type Contact = Record<string, unknown> & {
  id: string;
  version: number;
  cdp: null | {
    profileId: string;
    lastSeen: unknown;
    totalRevenue: unknown;
    segments: string[];
    recentEvents: { messageId: string; event: string }[];
    recentEventsUnavailable?: boolean;
  };
};

/** The ClickHouse tables the CRM reads (owned by ingestion and identity), created for this test. */
function ownedSql(service: string, file: string): string {
  return readFileSync(
    join(__dirname, '..', '..', '..', '..', service, 'migrations', 'clickhouse', file),
    'utf8',
  )
    .split('\n')
    .filter((line) => !line.startsWith('--'))
    .join('\n');
}

describe('the contact’s CDP view, fed by CDP messages on real NATS', () => {
  let crm: CrmHarness;
  let ws: string;
  let seq = 0;

  before(async () => {
    crm = await startCrm('crm-cdp');
    ws = crm.tenant.workspaceId;
    await crm.clickhouse.command({ query: ownedSql('ingestion', '0001_events.sql') });
    await crm.clickhouse.command({ query: ownedSql('identity', '0001_identity_map.sql') });
  });
  after(() => crm.close());

  const send = (
    family: string,
    payload: unknown,
    schema: string,
    workspaceId = ws,
    routing = [workspaceId],
  ) =>
    crm.publish(
      `${family}.${routing.join('.')}`,
      workspaceId,
      payload,
      `test-${process.pid}-${++seq}`,
      schema,
    );

  const resolvedEcho = (contactId: string, version: number, profileId: string) => ({
    items: [
      {
        event: {
          type: 'identify',
          messageId: `crm-contact-${contactId}-v${version}`,
          workspaceId: ws,
          sourceId: 'crm',
          traits: { email: 'ivanov@cars.example' },
          context: {
            crm: { aggregateType: 'contact', aggregateId: contactId, version, origin: 'crm' },
          },
          timestamp: new Date().toISOString(),
        },
        profileId,
      },
    ],
  });

  const getContact = async (id: string): Promise<Contact> =>
    (await crm.call<Contact>('GET', `/v1/crm/contacts/${id}`)).body;

  test('link, profile updates, segments, recent events, merge, and no echo back to the CDP', async () => {
    const created = await crm.call<Contact>('POST', '/v1/crm/contacts', {
      email: 'ivanov@cars.example',
      phone: '+7 912 555 0101',
      firstName: 'Ivan',
    });
    assert.equal(created.status, 201);
    const id = created.body.id;
    // The contact is identity evidence: its created event carries email and phone.
    const createdEvent = await crm.eventually(() =>
      crm.published.find((m) => m.body.aggregateId === id),
    );
    assert.equal(createdEvent.subject, `cdp.crm.contact.created.v1.${ws}`);
    assert.deepEqual((createdEvent.body.payload as { fields: unknown }).fields, {
      email: 'ivanov@cars.example',
      phone: '+79125550101',
      firstName: 'Ivan',
    });

    // Behavioural events are ignored; identity's echo of the contact links it to its profile.
    await send(
      SUBJECTS.eventResolved,
      {
        items: [
          { event: { type: 'track', messageId: 'm1', workspaceId: ws }, profileId: 'prof_x' },
        ],
      },
      'cdp.identity.v1.ResolvedEventBatch',
      ws,
      [ws, '0'],
    );
    await send(
      SUBJECTS.eventResolved,
      resolvedEcho(id, 1, 'prof_1'),
      'cdp.identity.v1.ResolvedEventBatch',
      ws,
      [ws, '3'],
    );
    const linked = await crm.eventually(async () => {
      const c = await getContact(id);
      return c.cdp?.profileId === 'prof_1' ? c : undefined;
    });
    assert.deepEqual(linked.cdp?.segments, []);

    await send(
      SUBJECTS.profileUpdated,
      {
        profileId: 'prof_1',
        version: '2',
        changes: [
          {
            key: 'computed.last_seen',
            operation: 'TRAIT_OPERATION_SET',
            value: '2026-03-01T10:00:00.000Z',
          },
          { key: 'computed.total_revenue', operation: 'TRAIT_OPERATION_SET', value: 18500 },
        ],
      },
      'cdp.profile.v1.ProfileUpdated',
    );
    // An older update delivered late does not overwrite the newer value.
    await send(
      SUBJECTS.profileUpdated,
      {
        profileId: 'prof_1',
        version: '1',
        changes: [{ key: 'computed.total_revenue', operation: 'TRAIT_OPERATION_SET', value: 1 }],
      },
      'cdp.profile.v1.ProfileUpdated',
    );
    await send(
      SUBJECTS.membershipChanged,
      {
        segmentId: 'seg_vip',
        segmentVersion: '1',
        mode: 'EVALUATION_MODE_REALTIME',
        changes: [{ profileId: 'prof_1', transition: 'MEMBERSHIP_TRANSITION_ENTERED' }],
      },
      'cdp.segmentation.v1.MembershipChanged',
    );
    const enriched = await crm.eventually(async () => {
      const c = await getContact(id);
      // Both updates and the membership applied (the consumer handles them in any order).
      return c.cdp?.segments.includes('seg_vip') && c.cdp.lastSeen !== null ? c : undefined;
    });
    assert.equal(enriched.cdp?.lastSeen, '2026-03-01T10:00:00.000Z');
    // v1 (revenue 1) may be applied before or after v2: the newer value stays.
    const revenue = await crm.eventually(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const c = await getContact(id);
      return c.cdp?.totalRevenue === 18500 ? c.cdp.totalRevenue : undefined;
    });
    assert.equal(revenue, 18500);

    // Recent events: ClickHouse events of the profile's identifiers (through identity_map).
    await crm.clickhouse.insert({
      table: 'identity_map',
      values: [
        {
          workspace_id: ws,
          identifier_type: 'anonymous_id',
          identifier_value: 'anon-1',
          profile_id: 'prof_1',
          version: 1,
        },
        {
          workspace_id: ws,
          identifier_type: 'anonymous_id',
          identifier_value: 'anon-2',
          profile_id: 'prof_other',
          version: 1,
        },
      ],
      format: 'JSONEachRow',
    });
    const event = (messageId: string, anonymousId: string, name: string, at: string) => ({
      workspace_id: ws,
      message_id: messageId,
      type: 'track',
      event: name,
      anonymous_id: anonymousId,
      source_id: 'src_web',
      timestamp: at,
      received_at: at,
      properties: {},
      traits: {},
      context: {},
      raw: '{}',
    });
    await crm.clickhouse.insert({
      table: 'events',
      values: [
        event('e1', 'anon-1', 'Product Viewed', '2026-03-01 09:00:00.000'),
        event('e2', 'anon-1', 'Price Compared', '2026-03-01 09:30:00.000'),
        event('e3', 'anon-2', 'Someone Else', '2026-03-01 09:45:00.000'),
      ],
      format: 'JSONEachRow',
    });
    const withEvents = await getContact(id);
    assert.equal(withEvents.cdp?.recentEventsUnavailable, undefined);
    assert.deepEqual(
      withEvents.cdp?.recentEvents.map((e) => [e.messageId, e.event]),
      [
        ['e2', 'Price Compared'],
        ['e1', 'Product Viewed'],
      ],
    );

    // A merge re-points the contact to the survivor, keeping what the CRM knew.
    await send(
      SUBJECTS.profileMerged,
      {
        mergeId: 'mrg_1',
        survivingProfileId: 'prof_2',
        mergedProfileIds: ['prof_1'],
        ruleId: 'same_email',
        identifiers: [],
        evidence: [],
      },
      'cdp.identity.v1.ProfileMerged',
    );
    const merged = await crm.eventually(async () => {
      const c = await getContact(id);
      return c.cdp?.profileId === 'prof_2' ? c : undefined;
    });
    assert.equal(merged.cdp?.totalRevenue, 18500);
    assert.deepEqual(merged.cdp?.segments, ['seg_vip']);

    // A split moves the contact to the part that holds its crm_contact_id.
    await send(
      SUBJECTS.profileSplit,
      {
        splitId: 'spl_1',
        sourceProfileId: 'prof_2',
        parts: [
          { profileId: 'prof_2', identifiers: [{ type: 'anonymous_id', value: 'anon-1' }] },
          {
            profileId: 'prof_3',
            identifiers: [
              { type: 'crm_contact_id', value: id },
              { type: 'email', value: 'ivanov@cars.example' },
            ],
          },
        ],
        reason: 'wrong match',
      },
      'cdp.identity.v1.ProfileSplit',
    );
    await crm.eventually(async () => {
      const c = await getContact(id);
      return c.cdp?.profileId === 'prof_3' ? c : undefined;
    });

    // No loop: none of this became a CRM event or a message back to the CDP.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const events = await crm.postgres.query<{ n: string }[]>(
      'SELECT count(*) AS n FROM crm.events WHERE aggregate_id = $1',
      [id],
    );
    assert.equal(Number(events[0]?.n), 1);
    assert.deepEqual(
      crm.published.filter((m) => m.body.aggregateId === id).map((m) => m.subject),
      [`cdp.crm.contact.created.v1.${ws}`],
    );
    assert.equal((await getContact(id)).version, 1);
  });

  test('a link from another workspace never touches this workspace’s contacts', async () => {
    const other = await crm.newTenant();
    const created = await crm.call<Contact>('POST', '/v1/crm/contacts', {
      email: 'tenant@cars.example',
    });
    const echo = resolvedEcho(created.body.id, 1, 'prof_evil');
    const item = echo.items[0];
    if (item) item.event.workspaceId = other.workspaceId;
    await send(
      SUBJECTS.eventResolved,
      echo,
      'cdp.identity.v1.ResolvedEventBatch',
      other.workspaceId,
      [other.workspaceId, '0'],
    );
    // A marker message published after it, in the same consumer: once it is applied, so was the first.
    await send(
      SUBJECTS.eventResolved,
      resolvedEcho(created.body.id, 1, 'prof_good'),
      'cdp.identity.v1.ResolvedEventBatch',
      ws,
      [ws, '0'],
    );
    const contact = await crm.eventually(async () => {
      const c = await getContact(created.body.id);
      return c.cdp ? c : undefined;
    });
    assert.equal(contact.cdp?.profileId, 'prof_good');
    const rows = await crm.postgres.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM crm.contact_profiles WHERE profile_id = 'prof_evil'`,
    );
    assert.equal(Number(rows[0]?.n), 0);
  });
});
