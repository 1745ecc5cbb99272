// The story test boots the real upstream services (issue #5): ingestion's HTTP API and identity's
// resolver feed this service exactly as in production.
/* eslint-disable no-restricted-imports */
import { serviceDefinition as identityService } from '@cdp/service-identity';
import { serviceDefinition as ingestionService } from '@cdp/service-ingestion';
/* eslint-enable no-restricted-imports */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventSubject, SUBJECTS } from '@cdp/contracts';
import { startProfile, type ProfileBody, type ProfileHarness } from '../support/harness';

let h: ProfileHarness;
let writeKey = '';

before(async () => {
  h = await startProfile({ upstream: [ingestionService, identityService] });
  const source = await h.api('/v1/sources', {
    method: 'POST',
    body: JSON.stringify({ name: 'website', kind: 'browser' }),
  });
  assert.equal(source.status, 201, await source.clone().text());
  const { id } = (await source.json()) as { id: string };
  const key = await h.api(`/v1/sources/${id}/write-keys`, { method: 'POST' });
  assert.equal(key.status, 201);
  writeKey = ((await key.json()) as { key: string }).key;
});
after(async () => {
  await h.close();
});

const LAPTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0';
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148 Instagram';
const at = (day: number, hour = 12): string => new Date(Date.UTC(2025, 2, day, hour)).toISOString();
let n = 0;

/** Sends events through the real collection API (Segment batch, Basic auth with the write key). */
async function collect(events: Record<string, unknown>[]): Promise<string[]> {
  const batch = events.map((e) => ({ messageId: `story-${process.pid}-${++n}`, ...e }));
  const response = await fetch(`${h.url}/v1/batch`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
    },
    body: JSON.stringify({ batch }),
  });
  assert.equal(response.status, 200, await response.text());
  return batch.map((e) => e.messageId);
}

interface ResolvedItem {
  messageId: string;
  profileId?: string;
}

/** The profile identity stamped on each message id (from the resolved batches it published). */
async function resolvedProfiles(messageIds: readonly string[]): Promise<Map<string, string>> {
  return h.eventually(() => {
    const stamped = new Map<string, string>();
    for (const p of h.published)
      if (p.subject.startsWith(`${SUBJECTS.eventResolved}.`))
        for (const item of (p.body as { items: ResolvedItem[] }).items)
          if (item.profileId) stamped.set(item.messageId, item.profileId);
    return messageIds.every((id) => stamped.has(id)) ? stamped : undefined;
  }, 30_000);
}

async function profile(id: string): Promise<ProfileBody> {
  return h.getJson<ProfileBody>(`/v1/profiles/${encodeURIComponent(id)}`);
}

interface TimelineBody {
  profileId: string;
  data: { messageId: string; timestamp: string; event?: string; anonymousId?: string }[];
  next: string | null;
}

// ARCHITECTURE.md story 1: anonymous web visits from a search engine, a social-ad visit on a
// second device, a phone call logged in the CRM, then registration: ONE profile.
test('the car buyer: one profile, every touchpoint on the timeline, traits from the right sources', async () => {
  const ws = h.tenant.workspaceId;
  const web = await collect([
    {
      type: 'page',
      anonymousId: 'anon-laptop',
      name: 'Used cars',
      timestamp: at(1, 10),
      context: { userAgent: LAPTOP, campaign: { source: 'google', medium: 'organic' } },
    },
    {
      type: 'track',
      anonymousId: 'anon-laptop',
      event: 'Product Viewed',
      timestamp: at(1, 11),
      properties: { model: 'Octavia', price: 18500 },
      context: { userAgent: LAPTOP },
    },
  ]);
  const phone = await collect([
    {
      type: 'page',
      anonymousId: 'anon-phone',
      name: 'Octavia offer',
      timestamp: at(3, 20),
      context: { userAgent: PHONE, campaign: { source: 'instagram', medium: 'social' } },
    },
    {
      type: 'track',
      anonymousId: 'anon-phone',
      event: 'Bookmark Added',
      timestamp: at(3, 21),
      context: { userAgent: PHONE },
    },
    {
      type: 'track',
      anonymousId: 'anon-phone',
      event: 'Price Compared',
      timestamp: at(4, 9),
      properties: { model: 'Octavia', minPrice: 15000, maxPrice: 20000 },
      context: { userAgent: PHONE },
    },
  ]);
  const early = await resolvedProfiles([...web, ...phone]);
  const laptopProfile = early.get(web[0]!)!;
  const phoneProfile = early.get(phone[0]!)!;
  assert.notEqual(laptopProfile, phoneProfile, 'two anonymous visitors so far');

  // He phones a sales manager, who logs the call in the CRM. Identity's CRM consumer is being
  // built in parallel: we resolve the contact through identity's API (as the CRM consumer will)
  // and publish the echo it will publish (docs/integration-contracts.md).
  const observed = await h.api('/v1/identity/observations', {
    method: 'POST',
    body: JSON.stringify({
      identifiers: [
        { type: 'crm_contact_id', value: 'contact-17' },
        { type: 'phone', value: '+79161234567' },
      ],
      messageId: 'crm-contact-contact-17-v1',
      observedAt: at(5, 15),
    }),
  });
  assert.equal(observed.status, 200);
  const contactProfile = ((await observed.json()) as { profileId: string }).profileId;
  await h.publishResolved(
    ws,
    [
      {
        type: 'identify',
        messageId: 'crm-contact-contact-17-v1',
        sourceId: 'crm',
        timestamp: at(5, 15),
        traits: {
          firstName: 'Ivan',
          lastName: 'Ivanov',
          phone: '+79161234567',
          title: 'Fleet manager',
        },
        context: {
          crm: { aggregateType: 'contact', aggregateId: 'contact-17', version: 1, origin: 'crm' },
        },
        profileId: contactProfile,
      },
    ],
    { messageId: 'crm-echo-contact-17-v1' },
  );

  // He registers on the phone, then signs in on the laptop.
  const registration = await collect([
    {
      type: 'identify',
      anonymousId: 'anon-phone',
      userId: 'user-ivanov',
      timestamp: at(6, 19),
      traits: { email: 'Ivanov@Mail.example', phone: '+7 916 123-45-67', firstName: 'Ivan' },
      context: { userAgent: PHONE },
    },
  ]);
  const signIn = await collect([
    {
      type: 'track',
      anonymousId: 'anon-laptop',
      userId: 'user-ivanov',
      event: 'Signed In',
      timestamp: at(7, 9),
      context: { userAgent: LAPTOP },
    },
  ]);
  await resolvedProfiles([...registration, ...signIn]);

  const webEvents = [...web, ...phone, ...registration, ...signIn];
  const person = await h.eventually(async () => {
    const found = await h.getJson<{ data: ProfileBody[] }>(
      '/v1/profiles/lookup?email=Ivanov@Mail.example',
    );
    const [body] = found.data;
    return body?.computed['event_count'] === webEvents.length + 1 ? body : undefined;
  }, 30_000);

  // ONE profile: every id identity ever stamped answers with it.
  for (const id of [laptopProfile, phoneProfile, contactProfile])
    assert.equal((await profile(id)).id, person.id, `${id} is an alias of ${person.id}`);
  const byPhone = await h.getJson<{ data: ProfileBody[] }>(
    `/v1/profiles/lookup?phone=${encodeURIComponent('+7 916 123-45-67')}`,
  );
  assert.deepEqual(
    byPhone.data.map((p) => p.id),
    [person.id],
  );

  // Traits from the right sources: registration (event) beats the older CRM values it restates,
  // the CRM keeps what only it knows.
  assert.equal(person.traits['email'], 'Ivanov@Mail.example');
  assert.equal(person.provenance['email']?.sourceType, 'event');
  assert.equal(person.provenance['email']?.sourceId, registration[0]);
  assert.equal(person.traits['firstName'], 'Ivan');
  assert.equal(person.traits['lastName'], 'Ivanov');
  assert.deepEqual(person.provenance['lastName'], {
    sourceType: 'crm',
    sourceId: 'contact-17',
    observedAt: at(5, 15),
  });
  assert.equal(person.traits['title'], 'Fleet manager');
  assert.equal(person.provenance['phone']?.sourceType, 'event', 'the newer registration wins');
  assert.equal(person.computed['first_seen'], at(1, 10));
  assert.equal(person.computed['last_seen'], at(7, 9));
  assert.deepEqual(person.computed['channels'], ['crm', 'web']);
  assert.deepEqual(person.computed['devices'], ['desktop-browser', 'mobile-browser']);
  assert.equal(person.computed['page_views'], 2);

  // The timeline holds every web event of both devices, newest first, from ClickHouse.
  const timeline = await h.eventually(async () => {
    const body = await h.getJson<TimelineBody>(`/v1/profiles/${laptopProfile}/events?limit=100`);
    return body.data.length === webEvents.length ? body : undefined;
  }, 30_000);
  assert.equal(timeline.profileId, person.id);
  assert.deepEqual(
    timeline.data.map((e) => e.messageId),
    [...webEvents].reverse(),
    'newest first',
  );
  assert.deepEqual([...new Set(timeline.data.map((e) => e.anonymousId))].sort(), [
    'anon-laptop',
    'anon-phone',
  ]);
  // Cursor pagination walks the same list; filters by name and time range.
  const pages: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '' : `&cursor=${cursor}`;
    const page: TimelineBody = await h.getJson<TimelineBody>(
      `/v1/profiles/${person.id}/events?limit=3${query}`,
    );
    pages.push(...page.data.map((e) => e.messageId));
    cursor = page.next;
  } while (cursor !== null);
  assert.deepEqual(pages, [...webEvents].reverse());
  const compared = await h.getJson<TimelineBody>(
    `/v1/profiles/${person.id}/events?event=${encodeURIComponent('Price Compared')}`,
  );
  assert.deepEqual(
    compared.data.map((e) => e.messageId),
    [phone[2]],
  );
  const march3 = await h.getJson<TimelineBody>(
    `/v1/profiles/${person.id}/events?from=${at(3, 0)}&to=${at(4, 0)}`,
  );
  assert.deepEqual(
    march3.data.map((e) => e.messageId),
    [phone[1], phone[0]],
  );
  const pages2 = await h.getJson<TimelineBody>(`/v1/profiles/${person.id}/events?event=page`);
  assert.equal(pages2.data.length, 2, 'a call type filters too');
});

test('replaying every identity message again leaves the profiles unchanged; rebuild equals live', async () => {
  const ws = h.tenant.workspaceId;
  // Settle: the outbox drained and nothing is in flight.
  const snapshot = async (): Promise<unknown> =>
    h.postgres.query(
      `SELECT id, version, merged_into, state FROM profile.profiles
       WHERE workspace_id = $1 ORDER BY id`,
      [ws],
    );
  const updatesOf = (): number =>
    h.published.filter((p) => p.subject === eventSubject(SUBJECTS.profileUpdated, ws)).length;
  const stable = await h.eventually(async () => {
    const first = JSON.stringify(await snapshot());
    const count = updatesOf();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return first === JSON.stringify(await snapshot()) && count === updatesOf() ? first : undefined;
  }, 30_000);
  const updatesBefore = updatesOf();

  const identityMessages = h.published.filter(
    (p) =>
      p.subject.startsWith(`${SUBJECTS.eventResolved}.${ws}`) ||
      p.subject === eventSubject(SUBJECTS.profileMerged, ws),
  );
  assert.ok(identityMessages.length >= 5);
  let replay = 0;
  for (const message of identityMessages) {
    const resolved = message.subject.startsWith(SUBJECTS.eventResolved);
    await h.publishIdentity(message.subject, ws, message.body, {
      messageId: `replay-${++replay}`,
      schema: resolved ? 'cdp.identity.v1.ResolvedEventBatch' : 'cdp.identity.v1.ProfileMerged',
    });
  }
  // A marker after the replays: once it shows, every replayed message was consumed.
  await h.publishResolved(ws, [
    {
      type: 'page',
      messageId: 'marker',
      anonymousId: 'someone-else',
      timestamp: at(9),
      profileId: 'marker-profile',
    },
  ]);
  await h.eventually(async () => {
    const r = await h.api('/v1/profiles/marker-profile');
    return r.status === 200 ? true : undefined;
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = (await snapshot()) as { id: string }[];
  assert.equal(
    JSON.stringify(after.filter((p) => p.id !== 'marker-profile')),
    stable,
    'the same events twice change nothing',
  );
  assert.equal(updatesOf(), updatesBefore + 1, 'only the marker published an update');

  const rebuild = await h.api('/v1/profiles/rebuild', { method: 'POST', body: '{}' });
  assert.equal(rebuild.status, 200);
  const result = (await rebuild.json()) as {
    equal: boolean;
    differences: unknown[];
    live: { profiles: number };
  };
  assert.deepEqual(result.differences, []);
  assert.equal(result.equal, true);
  assert.equal(result.live.profiles, 2, 'Ivanov and the marker');
});
