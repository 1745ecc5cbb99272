import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SUBJECTS } from '@cdp/contracts';
import { acceptedEvent, startIdentity, type IdentityHarness } from '../support/harness';

let h: IdentityHarness;

before(async () => {
  h = await startIdentity({ IDENTITY_SOURCE_KINDS: 'src_crm=crm' });
});
after(async () => {
  await h.close();
});

interface ResolvedBatch {
  items: { messageId: string; profileId?: string; event?: string; writeKeyId?: string }[];
}
interface MergedBody {
  mergeId: string;
  survivingProfileId: string;
  mergedProfileIds: string[];
  ruleId: string;
  evidence: { source: string; sourceId: string }[];
  actor: { type: string };
}

async function resolvedBatches(ws: string, count: number): Promise<ResolvedBatch[]> {
  const subject = `${SUBJECTS.eventResolved}.${ws}.3`;
  return h.eventually(() => {
    const found = h.published.filter((p) => p.subject === subject);
    return found.length >= count ? found.map((p) => p.body as ResolvedBatch) : undefined;
  });
}

// ARCHITECTURE.md story 1 through the consumer: accepted batches in, resolved batches, merges and
// identity_map out.
test('the car buyer: accepted batches → resolved events, ProfileMerged, identity_map on the survivor', async () => {
  const ws = h.tenant.workspaceId;
  const visits = [
    acceptedEvent(ws, { type: 'page', anonymousId: 'anon-laptop', name: 'Used SUVs' }),
    acceptedEvent(ws, {
      type: 'page',
      anonymousId: 'anon-phone',
      context: { campaign: { source: 'social' } },
    }),
    acceptedEvent(ws, { type: 'track', anonymousId: 'anon-phone', event: 'Price Compared' }),
  ];
  await h.publishAccepted(ws, visits, { partition: 3 });
  const [first] = await resolvedBatches(ws, 1);
  assert.equal(first?.items.length, 3);
  const [laptop, phone, compared] = first.items;
  assert.ok(laptop?.profileId && phone?.profileId);
  assert.notEqual(laptop.profileId, phone.profileId, 'two anonymous visitors so far');
  assert.equal(compared?.profileId, phone.profileId);
  assert.equal(compared?.event, 'Price Compared', 'the event travels on untouched');
  assert.equal(compared?.writeKeyId, 'wk_1');

  const later = [
    // The sales manager logs the call in the CRM (a trusted source) with his number.
    acceptedEvent(ws, {
      type: 'identify',
      sourceId: 'src_crm',
      context: { externalIds: [{ type: 'crm_contact_id', id: 'contact-17', collection: 'users' }] },
      traits: { phone: '+7 916 123-45-67' },
    }),
    // He registers on the site from the phone.
    acceptedEvent(ws, {
      type: 'identify',
      anonymousId: 'anon-phone',
      userId: 'user-ivanov',
      traits: { email: ' Ivanov@Mail.example ', phone: '+79161234567' },
    }),
    // And signs in on the laptop.
    acceptedEvent(ws, {
      type: 'track',
      anonymousId: 'anon-laptop',
      userId: 'user-ivanov',
      event: 'Signed In',
    }),
  ];
  await h.publishAccepted(ws, later, { partition: 3 });
  const [, second] = await resolvedBatches(ws, 2);
  assert.deepEqual(
    second?.items.map((i) => i.messageId),
    later.map((e) => e.messageId),
    'in order, same partition',
  );
  const survivor = second.items[2]?.profileId;
  assert.equal(survivor, laptop.profileId, 'the profile of the first anonymous visit survives');

  // Two merges: phone + CRM contact at registration, then the laptop at sign-in.
  const merged = await h.eventually(() => {
    const found = h.published.filter((p) => p.subject === `${SUBJECTS.profileMerged}.${ws}`);
    return found.length >= 2 ? found : undefined;
  });
  const bodies = merged.map((m) => m.body as MergedBody);
  assert.equal(bodies[1]?.survivingProfileId, survivor);
  assert.deepEqual(bodies[1]?.mergedProfileIds, [phone.profileId]);
  assert.equal(bodies[0]?.survivingProfileId, phone.profileId);
  assert.equal(bodies[0]?.evidence[0]?.sourceId, later[1]?.messageId);
  assert.equal(bodies[0]?.evidence[0]?.source, 'EVIDENCE_SOURCE_EVENT');
  assert.equal(bodies[0]?.ruleId, 'observed_together');
  assert.equal(bodies[0]?.actor.type, 'ACTOR_TYPE_SYSTEM');
  assert.equal(merged[0]?.msgId, `${ws}:${bodies[0]?.mergeId}`);

  // Every profile id any event carried now resolves to him (graph API follows merges).
  for (const id of new Set([...first.items, ...second.items].map((i) => i.profileId))) {
    const response = await h.api(`/v1/identity/profiles/${id}/graph`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { profileId: string }).profileId, survivor);
  }

  // identity_map: every identifier → the survivor (highest version wins).
  const rows = await h.eventually(async () => {
    const result = await h.clickhouse.query({
      query: `SELECT identifier_type AS type, identifier_value AS value,
                argMax(profile_id, version) AS profile
              FROM identity_map WHERE workspace_id = {ws:String}
              GROUP BY identifier_type, identifier_value ORDER BY type, value`,
      query_params: { ws },
      format: 'JSONEachRow',
    });
    const found = await result.json<{ type: string; value: string; profile: string }>();
    return found.length === 6 && found.every((r) => r.profile === survivor) ? found : undefined;
  });
  assert.deepEqual(
    rows.map((r) => `${r.type}:${r.value}`),
    [
      'anonymous_id:anon-laptop',
      'anonymous_id:anon-phone',
      'crm_contact_id:contact-17',
      'email:ivanov@mail.example',
      'phone:+79161234567',
      'user_id:user-ivanov',
    ],
  );
  const [outbox] = await h.postgres.query<{ n: number }[]>(
    'SELECT count(*)::int AS n FROM identity.outbox',
  );
  assert.equal(outbox?.n, 0, 'the outbox is drained');
});

test('a redelivered batch re-publishes the same resolution and changes nothing', async () => {
  const ws = (await h.newTenant()).workspaceId;
  const items = [
    acceptedEvent(ws, { type: 'track', anonymousId: 'a-1', userId: 'u-1', sourceId: 'src_crm' }),
    acceptedEvent(ws, { type: 'track', anonymousId: 'a-2', userId: 'u-1', sourceId: 'src_crm' }),
  ];
  await h.publishAccepted(ws, items, { partition: 3, messageId: 'first-delivery' });
  const [first] = await resolvedBatches(ws, 1);
  const versions = await h.postgres.query<unknown[]>(
    'SELECT id, version FROM identity.profiles WHERE workspace_id = $1 ORDER BY id',
    [ws],
  );
  // The same events again (as a redelivery after a crash would bring them).
  await h.publishAccepted(ws, items, { partition: 3, messageId: 'second-delivery' });
  const [, second] = await resolvedBatches(ws, 2);
  assert.deepEqual(second, first);
  assert.deepEqual(
    await h.postgres.query<unknown[]>(
      'SELECT id, version FROM identity.profiles WHERE workspace_id = $1 ORDER BY id',
      [ws],
    ),
    versions,
  );
  assert.equal(
    h.published.filter((p) => p.subject === `${SUBJECTS.profileMerged}.${ws}`).length,
    0,
    'no merge: one person from the start',
  );
});

test('a batch whose items belong to another workspace is dead-lettered, not resolved', async () => {
  const ws = h.tenant.workspaceId;
  const other = await h.newTenant();
  await h.publishAccepted(ws, [
    acceptedEvent(other.workspaceId, { type: 'page', anonymousId: 'x-1' }),
  ]);
  const dead = await h.eventually(async () => {
    const rows = await h.postgres.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM identity.identifiers WHERE value = 'x-1'`,
    );
    const info = await h.platform.infrastructure.nats.request(
      `$JS.API.STREAM.INFO.${h.namespace}_DEAD_LETTER`,
    );
    const state = info.json<{ state?: { messages?: number } }>().state;
    return (state?.messages ?? 0) > 0 ? rows[0]?.n : undefined;
  });
  assert.equal(dead, 0);
});

test('POST /v1/identity/rebuild replays the workspace log into a scratch graph equal to the live one', async () => {
  const response = await h.api('/v1/identity/rebuild', { method: 'POST', body: '{}' });
  assert.equal(response.status, 200);
  const result = (await response.json()) as {
    equal: boolean;
    events: number;
    messages: number;
    truncated: boolean;
    live: { profiles: number; identifiers: number };
    rebuilt: { profiles: number; identifiers: number };
  };
  assert.equal(result.equal, true, JSON.stringify(result));
  assert.equal(result.events, 6, 'the car buyer’s events (the foreign batch is skipped)');
  assert.equal(result.messages, 3);
  assert.equal(result.truncated, false);
  assert.deepEqual(result.live, { profiles: 1, identifiers: 6 });
  assert.deepEqual(result.rebuilt, result.live);

  // What the log does not hold (an API observation) shows as a difference.
  await h.api('/v1/identity/observations', {
    method: 'POST',
    body: JSON.stringify({ identifiers: [{ type: 'user_id', value: 'api-only' }] }),
  });
  const after = (await (
    await h.api('/v1/identity/rebuild', { method: 'POST', body: JSON.stringify({ maxEvents: 3 }) })
  ).json()) as { equal: boolean; truncated: boolean; onlyLive: string[][] };
  assert.equal(after.equal, false);
  assert.equal(after.truncated, true);
  assert.ok(after.onlyLive.some((c) => c.includes('user_id:api-only')));
});
