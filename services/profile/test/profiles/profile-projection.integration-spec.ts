import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventSubject, SUBJECTS } from '@cdp/contracts';
import {
  resolvedEvent,
  startProfile,
  type ProfileBody,
  type ProfileHarness,
} from '../support/harness';

let h: ProfileHarness;

before(async () => {
  h = await startProfile({ env: { PROFILE_NOTE_MAX_BYTES: '2048' } });
});
after(async () => {
  await h.close();
});

interface UpdatedBody {
  profileId: string;
  version: string;
  changes: {
    key: string;
    operation: string;
    value?: unknown;
    previousValue?: unknown;
    provenance: { sourceType: string; sourceId: string; observedAt: string };
  }[];
}

function updates(ws: string, profileId: string): UpdatedBody[] {
  return h.published
    .filter((p) => p.subject === eventSubject(SUBJECTS.profileUpdated, ws))
    .map((p) => p.body as UpdatedBody)
    .filter((b) => b.profileId === profileId);
}

async function profileWhen(
  id: string,
  ready: (p: ProfileBody) => boolean,
  key?: string,
): Promise<ProfileBody> {
  return h.eventually(async () => {
    const response = await h.api(`/v1/profiles/${id}`, key === undefined ? {} : { key });
    if (response.status !== 200) return undefined;
    const body = (await response.json()) as ProfileBody;
    return ready(body) ? body : undefined;
  });
}

test('resolved batches → traits with provenance, computed traits, ProfileUpdated diffs via the outbox', async () => {
  const ws = h.tenant.workspaceId;
  const identify = resolvedEvent('p-1', {
    type: 'identify',
    userId: 'u-1',
    timestamp: '2025-03-01T10:00:00.000Z',
    traits: { email: 'ivan@x.example', plan: 'free', address: { city: 'Kazan' } },
  });
  const order = resolvedEvent('p-1', {
    type: 'track',
    userId: 'u-1',
    event: 'Order Completed',
    timestamp: '2025-03-02T10:00:00.000Z',
    properties: { order_id: 'o-1', revenue: 99.9 },
  });
  const late = resolvedEvent('p-1', {
    type: 'identify',
    userId: 'u-1',
    timestamp: '2025-02-01T10:00:00.000Z',
    traits: { plan: 'trial', $set_once: { first_source: 'seo' } },
  });
  await h.publishResolved(ws, [identify, order]);
  await h.publishResolved(ws, [late]);
  const profile = await profileWhen('p-1', (p) => p.computed['event_count'] === 3);
  assert.deepEqual(profile.traits, {
    email: 'ivan@x.example',
    plan: 'free',
    address: { city: 'Kazan' },
    first_source: 'seo',
  });
  assert.deepEqual(profile.provenance['plan'], {
    sourceType: 'event',
    sourceId: identify.messageId,
    observedAt: '2025-03-01T10:00:00.000Z',
  });
  assert.equal(profile.computed['orders_count'], 1);
  assert.equal(profile.computed['total_revenue'], 99.9);
  assert.equal(profile.computed['last_order_at'], '2025-03-02T10:00:00.000Z');
  assert.equal(typeof profile.computed['days_since_last_order'], 'number');
  assert.deepEqual(profile.computed['rfm'], { r: 1, f: 1, m: 2, score: '112' });

  const published = await h.eventually(() => {
    const found = updates(ws, 'p-1');
    return found.length >= 2 ? found : undefined;
  });
  assert.deepEqual(
    published.map((u) => u.version),
    ['1', '2'],
  );
  const second = published[1]!;
  assert.deepEqual(
    second.changes.map((c) => c.key),
    ['computed.event_count', 'computed.event_counts', 'computed.first_seen', 'first_source'],
    'the late event changes only what it wins: its older plan loses, first seen moves back',
  );
  const firstSource = second.changes.find((c) => c.key === 'first_source');
  assert.equal(firstSource?.operation, 'TRAIT_OPERATION_SET');
  assert.equal(firstSource?.provenance.sourceType, 'TRAIT_SOURCE_TYPE_EVENT');
  const msgIds = h.published
    .filter((p) => p.subject === eventSubject(SUBJECTS.profileUpdated, ws))
    .map((p) => p.msgId);
  assert.ok(msgIds.includes(`${ws}:profile-updated:p-1:v1`));
});

test('a redelivered batch (same events, new message) changes nothing and publishes nothing', async () => {
  const ws = (await h.newTenant()).workspaceId;
  const items = [
    resolvedEvent('p-r', { type: 'identify', userId: 'u-r', traits: { plan: 'pro' } }),
    resolvedEvent('p-r', { type: 'page', userId: 'u-r' }),
  ];
  await h.publishResolved(ws, items);
  await h.eventually(() => (updates(ws, 'p-r').length === 1 ? true : undefined));
  const [before] = await h.postgres.query<{ version: string; state: unknown }[]>(
    `SELECT version, state FROM profile.profiles WHERE workspace_id = $1 AND id = 'p-r'`,
    [ws],
  );
  await h.publishResolved(ws, items);
  await h.publishResolved(ws, [items[1]!]);
  // A marker batch after the replays: once it is applied, the replays were consumed.
  await h.publishResolved(ws, [resolvedEvent('p-marker', { type: 'page', userId: 'm' })]);
  await h.eventually(() => (updates(ws, 'p-marker').length === 1 ? true : undefined));
  const [after] = await h.postgres.query<{ version: string; state: unknown }[]>(
    `SELECT version, state FROM profile.profiles WHERE workspace_id = $1 AND id = 'p-r'`,
    [ws],
  );
  assert.deepEqual(after, before);
  assert.equal(updates(ws, 'p-r').length, 1);
});

test('merge, alias answers, split restores; manual edits; notes; files; lists; tenant isolation', async () => {
  const tenant = await h.newTenant();
  const ws = tenant.workspaceId;
  const key = tenant.adminKey;
  await h.publishResolved(ws, [
    resolvedEvent('A', {
      type: 'identify',
      anonymousId: 'tablet',
      timestamp: '2025-01-05T00:00:00.000Z',
      traits: { name: 'Son', plan: 'kids' },
    }),
    resolvedEvent('B', {
      type: 'identify',
      userId: 'mum',
      timestamp: '2025-01-01T00:00:00.000Z',
      traits: { name: 'Mum', email: 'mum@x.example', plan: 'family' },
    }),
  ]);
  const a = await profileWhen('A', (p) => p.traits['name'] === 'Son', key);
  await h.publishIdentity(
    eventSubject(SUBJECTS.profileMerged, ws),
    ws,
    {
      mergeId: 'merge-1',
      survivingProfileId: 'B',
      mergedProfileIds: ['A'],
      identifiers: [],
      ruleId: 'observed_together',
      evidence: [
        { source: 'EVIDENCE_SOURCE_EVENT', sourceId: 'x', observedAt: '2025-01-06T00:00:00Z' },
      ],
    },
    { messageId: 'merge-1', schema: 'cdp.identity.v1.ProfileMerged' },
  );
  const merged = await profileWhen('A', (p) => p.id === 'B', key);
  assert.equal(merged.traits['name'], 'Son', "A's newer name wins over B's older one");
  assert.equal(merged.traits['email'], 'mum@x.example');
  assert.equal(merged.computed['event_count'], 2);

  // Manual edit on the alias lands on the survivor.
  const edit = await h.api('/v1/profiles/A/traits', {
    key,
    method: 'PATCH',
    body: JSON.stringify({ set: { vip: true }, unset: ['plan'] }),
  });
  assert.equal(edit.status, 200);
  const edited = (await edit.json()) as ProfileBody;
  assert.equal(edited.id, 'B');
  assert.equal(edited.traits['vip'], true);
  assert.equal(edited.traits['plan'], undefined);
  assert.equal(edited.provenance['vip']?.sourceType, 'manual');

  // Notes and files through the alias.
  const note = await h.api('/v1/profiles/A/notes', {
    key,
    method: 'POST',
    body: JSON.stringify({
      kind: 'note',
      title: 'Call',
      body: 'Wants a test drive of the Octavia',
    }),
  });
  assert.equal(note.status, 201);
  const tooBig = await h.api('/v1/profiles/B/notes', {
    key,
    method: 'POST',
    body: JSON.stringify({ body: 'x'.repeat(3000) }),
  });
  assert.equal(tooBig.status, 413);
  assert.equal(
    ((await tooBig.json()) as { error: { code: string } }).error.code,
    'profile.note_too_large',
  );
  const found = await h.getJson<{ data: { profileId: string; title: string }[] }>(
    `/v1/profiles/B/notes?q=${encodeURIComponent('test drive')}`,
    200,
    key,
  );
  assert.deepEqual(
    found.data.map((n) => [n.profileId, n.title]),
    [['B', 'Call']],
  );
  const none = await h.getJson<{ data: unknown[] }>('/v1/notes?q=cancelled', 200, key);
  assert.equal(none.data.length, 0);
  const file = await h.api('/v1/profiles/B/files', {
    key,
    method: 'POST',
    body: JSON.stringify({
      name: 'passport.png',
      url: 'https://files.example/p.png',
      contentType: 'image/png',
      sizeBytes: 1024,
      checksum: 'sha256:9f86d081884c7d659a2feaa0c55ad015',
    }),
  });
  assert.equal(file.status, 201);
  const badFile = await h.api('/v1/profiles/B/files', {
    key,
    method: 'POST',
    body: JSON.stringify({ url: 'ftp://x', contentType: 'png', sizeBytes: -1, checksum: 'x' }),
  });
  assert.equal(badFile.status, 400);

  // Lists with trait filters (the alias is not listed).
  const listed = await h.getJson<{ data: ProfileBody[] }>('/v1/profiles?traits.vip=true', 200, key);
  assert.deepEqual(
    listed.data.map((p) => p.id),
    ['B'],
  );

  // Tenant isolation: another workspace sees none of it.
  await h.getJson('/v1/profiles/B', 404);
  await h.getJson('/v1/profiles/B/notes', 404);
  const foreign = await h.api('/v1/profiles/B/traits', {
    method: 'PATCH',
    body: JSON.stringify({ set: { hacked: true } }),
  });
  assert.equal(foreign.status, 404);

  // Split: identity detaches the tablet again.
  await h.publishIdentity(
    eventSubject(SUBJECTS.profileSplit, ws),
    ws,
    {
      splitId: 'split-1',
      sourceProfileId: 'B',
      parts: [
        { profileId: 'B', identifiers: [{ type: 'user_id', value: 'mum' }] },
        { profileId: 'A', identifiers: [{ type: 'anonymous_id', value: 'tablet' }] },
      ],
      reason: 'shared family tablet',
    },
    { messageId: 'split-1', schema: 'cdp.identity.v1.ProfileSplit' },
  );
  const restored = await profileWhen('A', (p) => p.id === 'A', key);
  assert.deepEqual(restored.traits, a.traits);
  const mum = await profileWhen('B', (p) => p.traits['name'] === 'Mum', key);
  assert.deepEqual(mum.traits, { name: 'Mum', email: 'mum@x.example', vip: true });
  assert.equal(mum.computed['event_count'], 1);

  // Rebuild from the IDENTITY stream + the manual-edit log equals the live profiles.
  const rebuild = await h.api('/v1/profiles/rebuild', { key, method: 'POST', body: '{}' });
  assert.equal(rebuild.status, 200);
  const result = (await rebuild.json()) as {
    equal: boolean;
    manualEdits: number;
    differences: unknown[];
  };
  assert.deepEqual(result.differences, []);
  assert.equal(result.equal, true);
  assert.equal(result.manualEdits, 1);
});

test('custom computed traits: defined by API, backfilled, then kept current; rebuild agrees', async () => {
  const tenant = await h.newTenant();
  const ws = tenant.workspaceId;
  const key = tenant.adminKey;
  const order = (profileId: string, total: number, coupon: string) =>
    resolvedEvent(profileId, {
      type: 'track',
      userId: profileId,
      event: 'Order Completed',
      properties: { total, coupon },
    });
  await h.publishResolved(ws, [
    order('c-1', 10, 'A'),
    order('c-1', 15.5, 'B'),
    order('c-2', 7, 'A'),
  ]);
  await profileWhen('c-2', (p) => p.computed['orders_count'] === 1, key);
  await profileWhen('c-1', (p) => p.computed['orders_count'] === 2, key);
  const created = await h.api('/v1/computed-traits', {
    key,
    method: 'POST',
    body: JSON.stringify({
      key: 'coupon_count',
      aggregation: 'unique_count',
      event: 'Order Completed',
      property: 'coupon',
    }),
  });
  assert.equal(created.status, 201);
  assert.equal(((await created.json()) as { backfilled: number }).backfilled, 2);
  const windowed = await h.api('/v1/computed-traits', {
    key,
    method: 'POST',
    body: JSON.stringify({
      key: 'spend_30d',
      aggregation: 'sum',
      event: 'Order Completed',
      property: 'total',
      windowDays: 30,
    }),
  });
  assert.equal(windowed.status, 201);
  const duplicate = await h.api('/v1/computed-traits', {
    key,
    method: 'POST',
    body: JSON.stringify({ key: 'coupon_count', aggregation: 'count', event: 'X' }),
  });
  assert.equal(duplicate.status, 409);
  const invalid = await h.api('/v1/computed-traits', {
    key,
    method: 'POST',
    body: JSON.stringify({ key: 'orders_count', aggregation: 'count', event: 'X' }),
  });
  assert.equal(invalid.status, 400);
  const c1 = await h.getJson<ProfileBody>('/v1/profiles/c-1', 200, key);
  assert.equal(c1.computed['coupon_count'], 2);
  assert.equal(c1.computed['spend_30d'], 0, 'the 2025 orders are outside the last 30 days');
  const recent = resolvedEvent('c-1', {
    type: 'track',
    userId: 'c-1',
    event: 'Order Completed',
    timestamp: new Date().toISOString(),
    properties: { total: 4.5, coupon: 'C' },
  });
  await h.publishResolved(ws, [recent]);
  const current = await profileWhen('c-1', (p) => p.computed['coupon_count'] === 3, key);
  assert.equal(current.computed['spend_30d'], 4.5);
  const rebuild = await h.api('/v1/profiles/rebuild', { key, method: 'POST', body: '{}' });
  const result = (await rebuild.json()) as { equal: boolean; differences: unknown[] };
  assert.deepEqual(result.differences, []);
  assert.equal(result.equal, true);
});

test('bad input is a 4xx with a machine-readable error, never a 5xx', async () => {
  const cases: [string, RequestInit, number][] = [
    ['/v1/profiles/nope', {}, 404],
    ['/v1/profiles/lookup?email=a@b.example&phone=1', {}, 400],
    ['/v1/profiles/lookup?Bad-Type=1', {}, 400],
    ['/v1/profiles?limit=0', {}, 400],
    ['/v1/profiles/p-1/events?from=yesterday', {}, 400],
    ['/v1/profiles/p-1/events?cursor=!!!', {}, 400],
    ['/v1/profiles/p-1/traits', { method: 'PATCH', body: '{}' }, 400],
    ['/v1/profiles/p-1/traits', { method: 'PATCH', body: '{"set":"x"}' }, 400],
    ['/v1/profiles/p-1/notes', { method: 'POST', body: '{"body":""}' }, 400],
    ['/v1/profiles/p-1/notes/note_x', { method: 'DELETE' }, 404],
    ['/v1/computed-traits/none', { method: 'DELETE' }, 404],
    ['/v1/profiles/rebuild', { method: 'POST', body: '{"maxMessages":-1}' }, 400],
  ];
  for (const [path, init, status] of cases) {
    const response = await h.api(path, init);
    const text = await response.text();
    const body = (text ? JSON.parse(text) : {}) as { error?: { code?: string } };
    assert.equal(response.status, status, `${init.method ?? 'GET'} ${path}`);
    assert.equal(typeof body.error?.code, 'string', `${path} has an error code`);
  }
  const none = await h.getJson<{ data: unknown[] }>('/v1/profiles/lookup?email=nobody@x.example');
  assert.deepEqual(none.data, [], 'an unknown identifier is an empty answer');
  const unauthenticated = await fetch(`${h.url}/v1/profiles/p-1`);
  assert.equal(unauthenticated.status, 401);
});
