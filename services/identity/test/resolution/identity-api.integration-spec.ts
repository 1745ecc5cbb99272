import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SUBJECTS } from '@cdp/contracts';
import { acceptedEvent, startIdentity, type IdentityHarness } from '../support/harness';

let h: IdentityHarness;
let ws: string;

interface Lookup {
  data: { profileId: string; identifier: { type: string; value: string } }[];
}

async function profileOf(type: string, value: string): Promise<string> {
  const { body } = await json<Lookup>(`/v1/identity/resolve?type=${type}&value=${value}`);
  const profileId = body.data[0]?.profileId;
  assert.ok(profileId, `${type}:${value} has a profile`);
  return profileId;
}

interface GraphBody {
  profileId: string;
  requestedId: string;
  mergedIds: string[];
  identifiers: { identifier: { type: string; value: string }; firstSeen: { messageId: string } }[];
  links: { identifiers: { type: string; value: string }[]; evidence: { messageId: string } }[];
  merges: { mergeId: string; survivingProfileId: string; mergedProfileIds: string[]; at: string }[];
  conflicts: {
    rule: string;
    dropped: { type: string; value: string };
    evidence: { messageId: string };
  }[];
}

const events = {
  laptop: '',
  login: '',
  intruder: '',
};

before(async () => {
  h = await startIdentity({ IDENTITY_SOURCE_KINDS: 'src_backend=server' });
  ws = h.tenant.workspaceId;
  const laptop = acceptedEvent(ws, { type: 'page', anonymousId: 'anon-laptop' });
  const known = acceptedEvent(ws, {
    type: 'identify',
    anonymousId: 'anon-phone',
    userId: 'user-ivanov',
    traits: { email: 'Ivanov@Mail.example' },
  });
  const login = acceptedEvent(ws, {
    type: 'track',
    anonymousId: 'anon-laptop',
    userId: 'user-ivanov',
  });
  const other = acceptedEvent(ws, { type: 'identify', userId: 'user-petrov' });
  // A browser may not glue two known people together: a conflict with its evidence.
  const intruder = acceptedEvent(ws, {
    type: 'identify',
    userId: 'user-petrov',
    traits: { email: 'ivanov@mail.example' },
  });
  events.laptop = laptop.messageId;
  events.login = login.messageId;
  events.intruder = intruder.messageId;
  await h.publishAccepted(ws, [laptop, known, login, other, intruder]);
  await h.eventually(() =>
    h.published.some((p) => p.subject.startsWith(`${SUBJECTS.eventResolved}.${ws}.`))
      ? true
      : undefined,
  );
});
after(async () => {
  await h.close();
});

async function json<T>(path: string, key?: string): Promise<{ status: number; body: T }> {
  const response = await h.api(path, key === undefined ? {} : { key });
  return { status: response.status, body: (await response.json()) as T };
}

test('GET /v1/identity/resolve finds the profile of a normalised identifier', async () => {
  const byEmail = await json<Lookup>(
    `/v1/identity/resolve?type=email&value=${encodeURIComponent('  IVANOV@mail.example ')}`,
  );
  assert.equal(byEmail.status, 200);
  assert.equal(byEmail.body.data[0]?.identifier.value, 'ivanov@mail.example');
  const byUser = await json<Lookup>('/v1/identity/resolve?type=user_id&value=user-ivanov');
  assert.ok(byUser.body.data[0]?.profileId);
  assert.equal(byUser.body.data[0]?.profileId, byEmail.body.data[0]?.profileId);

  const invalid = await json<{ error: { code: string } }>(
    '/v1/identity/resolve?type=email&value=nope',
  );
  assert.equal(invalid.status, 400);
  assert.equal(invalid.body.error.code, 'identity.invalid_identifier');
  assert.equal((await h.api('/v1/identity/resolve?type=email')).status, 400);
  const unknown = await json<Lookup>('/v1/identity/resolve?type=email&value=nobody@example.com');
  assert.deepEqual(unknown, { status: 200, body: { data: [] } });
  assert.deepEqual(await json<Lookup>('/v1/identity/resolve'), { status: 200, body: { data: [] } });
});

test('GET /v1/identity/profiles/:id/graph explains the profile: identifiers, links, merges, conflicts', async () => {
  const found = await profileOf('anonymous_id', 'anon-laptop');
  const { status, body } = await json<GraphBody>(`/v1/identity/profiles/${found}/graph`);
  assert.equal(status, 200);
  assert.deepEqual(
    body.identifiers.map((i) => `${i.identifier.type}:${i.identifier.value}`).sort(),
    [
      'anonymous_id:anon-laptop',
      'anonymous_id:anon-phone',
      'email:ivanov@mail.example',
      'user_id:user-ivanov',
    ],
  );
  assert.equal(
    body.identifiers.find((i) => i.identifier.value === 'anon-laptop')?.firstSeen.messageId,
    events.laptop,
  );
  assert.ok(
    body.links.some((l) => l.evidence.messageId === events.login),
    'the sign-in link',
  );
  assert.equal(body.merges.length, 1);
  assert.equal(body.merges[0]?.survivingProfileId, body.profileId);
  assert.deepEqual(body.mergedIds, body.merges[0]?.mergedProfileIds);
  assert.equal(body.conflicts.length, 1);
  assert.equal(body.conflicts[0]?.rule, 'trust.untrusted_merge');
  assert.equal(body.conflicts[0]?.evidence.messageId, events.intruder);

  // A merged id answers with its survivor's graph.
  const mergedId = body.mergedIds[0];
  const viaMerged = await json<GraphBody>(`/v1/identity/profiles/${mergedId}/graph`);
  assert.equal(viaMerged.body.profileId, body.profileId);
  assert.equal(viaMerged.body.requestedId, mergedId);

  const history = await json<{ profileId: string; data: unknown[] }>(
    `/v1/identity/merges?profile=${mergedId}`,
  );
  assert.equal(history.status, 200);
  assert.equal(history.body.profileId, body.profileId);
  assert.deepEqual(history.body.data, body.merges);
  const latest = await json<{ data: unknown[] }>('/v1/identity/merges');
  assert.deepEqual(latest.body.data, body.merges, 'the workspace ledger, newest first');
  assert.equal((await h.api('/v1/identity/merges?limit=0')).status, 400);
  assert.equal((await h.api('/v1/identity/profiles/prof_unknown/graph')).status, 404);
});

test("another workspace's key sees none of it (404), a key without identity:read is 403", async () => {
  const found = await profileOf('user_id', 'user-ivanov');
  const b = await h.newTenant();
  for (const path of [
    `/v1/identity/profiles/${found}/graph`,
    `/v1/identity/merges?profile=${found}`,
  ]) {
    const response = await json<{ error?: { code?: string } }>(path, b.adminKey);
    assert.equal(response.status, 404, path);
    assert.ok(response.body.error?.code);
  }
  const lookup = await json<Lookup>(
    '/v1/identity/resolve?type=user_id&value=user-ivanov',
    b.adminKey,
  );
  assert.deepEqual(lookup.body, { data: [] });
  assert.deepEqual((await json<{ data: unknown[] }>('/v1/identity/merges', b.adminKey)).body, {
    data: [],
  });
  const created = await h.api('/v1/api-keys', {
    method: 'POST',
    body: JSON.stringify({ name: 'profiles only', scopes: ['profiles:read'] }),
  });
  assert.equal(created.status, 201);
  const { key } = (await created.json()) as { key: string };
  assert.equal((await h.api(`/v1/identity/profiles/${found}/graph`, { key })).status, 403);
});

test('POST /v1/identity/observations links identifiers with manual evidence (trusted)', async () => {
  const petrov = await profileOf('user_id', 'user-petrov');
  const ivanov = await profileOf('user_id', 'user-ivanov');
  const call = (body: unknown) =>
    h.api('/v1/identity/observations', { method: 'POST', body: JSON.stringify(body) });
  const linked = await call({
    identifiers: [
      { type: 'user_id', value: 'user-petrov' },
      { type: 'phone', value: '+7 916 765-43-21' },
      { type: 'crm_contact_id', value: 'contact-42' },
    ],
    messageId: 'crm-sync-1',
  });
  assert.equal(linked.status, 200);
  const result = (await linked.json()) as { profileId: string; outcome: string };
  assert.deepEqual(result.profileId, petrov);
  assert.equal(result.outcome, 'attached');
  assert.equal(await profileOf('phone', '%2B79167654321'), petrov);
  // The same observation again: nothing changes.
  const again = (await (
    await call({
      identifiers: [
        { type: 'crm_contact_id', value: 'contact-42' },
        { type: 'user_id', value: 'user-petrov' },
      ],
      messageId: 'crm-sync-1',
    })
  ).json()) as { outcome: string };
  assert.equal(again.outcome, 'unchanged');
  assert.notEqual(petrov, ivanov);

  const invalid = await call({ identifiers: [{ type: 'email', value: 'not-an-email' }] });
  assert.equal(invalid.status, 400);
  assert.equal(
    ((await invalid.json()) as { error: { code: string } }).error.code,
    'identity.invalid_identifier',
  );
  assert.equal((await call({ identifiers: [] })).status, 400);
});

test('POST /v1/identity/profiles/:id/split re-resolves the profile without the cut, publishes ProfileSplit', async () => {
  const tenant = await h.newTenant();
  const as = (path: string, body?: unknown) =>
    h.api(path, {
      key: tenant.adminKey,
      ...(body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }),
    });
  const observe = async (identifiers: { type: string; value: string }[], observedAt: string) => {
    const response = await as('/v1/identity/observations', { identifiers, observedAt });
    assert.equal(response.status, 200);
    return ((await response.json()) as { profileId: string }).profileId;
  };
  // A shared family tablet glued mother and son together.
  const original = await observe(
    [
      { type: 'email', value: 'mom@example.com' },
      { type: 'anonymous_id', value: 'tablet' },
    ],
    '2025-01-01T10:00:00.000Z',
  );
  assert.equal(
    await observe(
      [
        { type: 'anonymous_id', value: 'tablet' },
        { type: 'email', value: 'son@example.com' },
      ],
      '2025-01-02T10:00:00.000Z',
    ),
    original,
  );

  const unknown = await as(`/v1/identity/profiles/${original}/split`, {
    detachIdentifiers: [{ type: 'email', value: 'nobody@example.com' }],
  });
  assert.equal(unknown.status, 400);
  const nothing = await as(`/v1/identity/profiles/${original}/split`, {});
  assert.equal(((await nothing.json()) as { changed: boolean }).changed, false);

  const response = await as(`/v1/identity/profiles/${original}/split`, {
    detachIdentifiers: [{ type: 'anonymous_id', value: 'tablet' }],
    reason: 'shared family tablet',
  });
  assert.equal(response.status, 200);
  const split = (await response.json()) as {
    changed: boolean;
    splitId: string;
    parts: { profileId: string; identifiers: { type: string; value: string }[] }[];
  };
  assert.equal(split.changed, true);
  assert.equal(split.parts.length, 3, 'mother, son and the tablet apart');
  assert.equal(split.parts[0]?.profileId, original, 'the oldest part keeps the id');
  for (const part of split.parts)
    for (const identifier of part.identifiers) {
      const lookup = await as(
        `/v1/identity/resolve?type=${identifier.type}&value=${encodeURIComponent(identifier.value)}`,
      );
      const { data } = (await lookup.json()) as { data: { profileId: string }[] };
      assert.equal(data[0]?.profileId, part.profileId, `${identifier.type}:${identifier.value}`);
    }

  const event = await h.eventually(() =>
    h.published.find((p) => p.subject === `${SUBJECTS.profileSplit}.${tenant.workspaceId}`),
  );
  assert.equal((event.body as { splitId: string }).splitId, split.splitId);
  assert.equal((event.body as { reason: string }).reason, 'shared family tablet');

  // identity_map follows the split.
  const moved = split.parts
    .slice(1)
    .flatMap((p) => p.identifiers.map((i) => [i, p.profileId] as const));
  await h.eventually(async () => {
    const result = await h.clickhouse.query({
      query: `SELECT identifier_type AS type, identifier_value AS value,
                argMax(profile_id, version) AS profile
              FROM identity_map WHERE workspace_id = {ws:String}
              GROUP BY identifier_type, identifier_value`,
      query_params: { ws: tenant.workspaceId },
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ type: string; value: string; profile: string }>();
    return moved.every(([i, profileId]) =>
      rows.some((r) => r.type === i.type && r.value === i.value && r.profile === profileId),
    )
      ? true
      : undefined;
  });
  // Another workspace cannot split it.
  assert.equal(
    (await h.api(`/v1/identity/profiles/${original}/split`, { method: 'POST', body: '{}' })).status,
    404,
  );

  // Kept apart: the next observation carrying identifiers of two parts (even from a trusted
  // source) does not undo the split; the conflict names the rule.
  const partOf = (value: string) =>
    split.parts.find((p) => p.identifiers.some((i) => i.value === value))?.profileId;
  const mother = partOf('mom@example.com');
  const son = partOf('son@example.com');
  const again = await as('/v1/identity/observations', {
    identifiers: [
      { type: 'email', value: 'mom@example.com' },
      { type: 'email', value: 'son@example.com' },
    ],
    messageId: 'after-split-1',
  });
  const result = (await again.json()) as {
    profileId: string;
    outcome: string;
    conflicts: { rule: string; dropped: { type: string; value: string } }[];
  };
  assert.equal(result.profileId, mother);
  assert.deepEqual(
    result.conflicts.map((c) => [c.rule, c.dropped.value]),
    [['separation.kept_apart', 'son@example.com']],
  );
  const sonNow = await as('/v1/identity/resolve?type=email&value=son@example.com');
  assert.equal(
    ((await sonNow.json()) as { data: { profileId: string }[] }).data[0]?.profileId,
    son,
  );
  // An event through the resolver is held to it as well; a new identifier still attaches.
  await h.publishAccepted(tenant.workspaceId, [
    acceptedEvent(tenant.workspaceId, {
      type: 'identify',
      sourceId: 'src_backend',
      anonymousId: 'tablet',
      traits: { email: 'son@example.com', phone: '+14155550111' },
    }),
  ]);
  const phone = await h.eventually(async () => {
    const lookup = await as('/v1/identity/resolve?type=phone&value=%2B14155550111');
    return ((await lookup.json()) as { data: { profileId: string }[] }).data[0]?.profileId;
  });
  assert.equal(phone, son, 'the son keeps his email; the tablet stays on its own part');
  const tabletNow = await as('/v1/identity/resolve?type=anonymous_id&value=tablet');
  assert.notEqual(
    ((await tabletNow.json()) as { data: { profileId: string }[] }).data[0]?.profileId,
    son,
  );
});
