import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  createSandbox,
  MONOLITH_ENTRY,
  startProcess,
  type RunningProcess,
  type Sandbox,
} from '../support/platform';
import {
  basicAuth,
  bootstrapWorkspace,
  createSource,
  eventually,
  manage,
  type CollectionSource,
  type Workspace,
} from '../support/ingestion';

interface Provenance {
  readonly sourceType: string;
  readonly sourceId: string;
}
interface Profile {
  readonly id: string;
  readonly traits: Record<string, unknown>;
  readonly provenance: Record<string, Provenance>;
  readonly computed: Record<string, unknown>;
}
interface TimelineEvent {
  readonly messageId: string;
}
interface CrmContact {
  readonly id: string;
  readonly cdp: null | { readonly profileId: string; readonly segments: readonly unknown[] };
}

/**
 * The story, through every service of the monolith and their real transports: a visitor
 * browses anonymously from search, comes back from a social ad on a second device, registers
 * there, logs in on the first device, and a sales rep records the phone call in the CRM. The
 * platform must show ONE profile (identity), whose timeline holds every event (ClickHouse via
 * identity_map) and whose traits come from the right sources (profile), the CRM contact must
 * carry that profile (CRM ↔ CDP), and an audience on behavior + traits must contain the person
 * (segmentation, real time).
 */
describe('one customer across devices, the website and the CRM', () => {
  let sandbox: Sandbox;
  let platform: RunningProcess;
  let workspace: Workspace;
  let web: CollectionSource;

  const run = randomUUID().slice(0, 8);
  const deviceA = `anon-a-${run}`;
  const deviceB = `anon-b-${run}`;
  const userId = `user-${run}`;
  const email = `jane.${run}@example.com`;
  const sent: string[] = [];

  const api = <T>(method: string, path: string, body?: unknown) =>
    manage<T>(platform.url, workspace.key, method, path, body);

  async function send(type: string, body: Record<string, unknown>): Promise<void> {
    const messageId = `${run}-${sent.length}`;
    const response = await fetch(`${platform.url}/v1/${type}`, {
      method: 'POST',
      headers: { authorization: basicAuth(web.writeKey), 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, messageId, timestamp: new Date().toISOString() }),
    });
    assert.equal(response.status, 200, await response.text());
    sent.push(messageId);
  }

  before(async () => {
    sandbox = createSandbox('journey');
    platform = await startProcess(MONOLITH_ENTRY, sandbox);
    workspace = await bootstrapWorkspace(sandbox, 'journey');
    web = await createSource(platform.url, workspace.key, 'website', 'browser');
  });
  after(async () => {
    await platform.process.stop('SIGKILL');
    await sandbox.cleanup();
  });

  test('identity, profile, CRM and segmentation agree on one person', async () => {
    const segment = await api<{ id: string }>('POST', '/v1/segments', {
      name: 'bag browsers we know',
      definition: {
        condition: {
          type: 'and',
          conditions: [
            {
              type: 'event',
              event: 'Product Viewed',
              where: [{ property: 'category', operator: 'equals', value: 'bags' }],
              count: { operator: 'at_least', value: 2 },
              window: { type: 'last', duration: '7d' },
            },
            { type: 'trait', key: 'email', operator: 'exists' },
          ],
        },
      },
    });

    // Device A, anonymous, from a search engine.
    const fromSearch = { campaign: { source: 'google', medium: 'organic' } };
    await send('page', { anonymousId: deviceA, name: 'Home', context: fromSearch });
    await send('track', {
      anonymousId: deviceA,
      event: 'Product Viewed',
      properties: { category: 'bags', sku: 'B-1' },
      context: fromSearch,
    });
    // Device B, days later, from a social ad; registers there.
    const fromAd = { campaign: { source: 'facebook', medium: 'paid_social' } };
    await send('page', { anonymousId: deviceB, name: 'Landing', context: fromAd });
    await send('track', {
      anonymousId: deviceB,
      event: 'Product Viewed',
      properties: { category: 'bags', sku: 'B-2' },
      context: fromAd,
    });
    await send('identify', {
      anonymousId: deviceB,
      userId,
      traits: { email: `  ${email.toUpperCase()} `, firstName: 'Jane', plan: 'free' },
    });
    // Back on device A, logged in.
    await send('identify', { anonymousId: deviceA, userId });

    // The sales rep's call, logged in the CRM with the phone number.
    const contact = await api<CrmContact>('POST', '/v1/crm/contacts', {
      email,
      phone: '+14155550123',
      firstName: 'Jane',
      lastName: 'Doe',
    });
    await api('POST', '/v1/crm/activities', {
      kind: 'call',
      subject: 'Asked about the leather bag',
      durationMinutes: 12,
      targets: [{ type: 'contact', id: contact.id }],
    });

    // Identity: every identifier, from every channel, answers with one profile.
    const profileId = await eventually(
      'every identifier resolves to one profile',
      async () => {
        const ids = await Promise.all(
          [
            `anonymous_id=${deviceA}`,
            `anonymous_id=${deviceB}`,
            `user_id=${userId}`,
            `email=${encodeURIComponent(email)}`,
            `phone=${encodeURIComponent('+14155550123')}`,
            `crm_contact_id=${contact.id}`,
          ].map(
            async (q) => (await api<{ data: Profile[] }>('GET', `/v1/profiles/lookup?${q}`)).data,
          ),
        );
        const found = new Set(ids.map((d) => d[0]?.id));
        assert.equal(found.size, 1, `one profile for every identifier: ${[...found].join(', ')}`);
        const [only] = found;
        assert.ok(only, 'every identifier is resolved');
        return only;
      },
      { timeoutMs: 60_000 },
    );

    // Profile: traits from the right sources.
    const profile = await eventually(
      'the CRM phone on the profile',
      async () => {
        const p = await api<Profile>('GET', `/v1/profiles/${profileId}`);
        assert.equal(p.traits.phone, '+14155550123');
        assert.equal(p.provenance.phone?.sourceType, 'crm');
        assert.equal(p.provenance.phone?.sourceId, contact.id);
        assert.equal(p.traits.lastName, 'Doe');
        return p;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(profile.id, profileId);
    // The registration's plan comes from the identify call; the email the CRM wrote later wins
    // over the one typed at registration (last write by event time).
    assert.equal(profile.traits.plan, 'free');
    assert.equal(profile.provenance.plan?.sourceType, 'event');
    assert.equal(profile.provenance.plan?.sourceId, sent[4]);
    assert.equal(profile.traits.email, email);
    assert.equal(profile.provenance.email?.sourceType, 'crm');

    // Timeline: every event of both devices, newest first.
    await eventually(
      'the timeline holds every event',
      async () => {
        const timeline = await api<{ data: TimelineEvent[] }>(
          'GET',
          `/v1/profiles/${profileId}/events?limit=50`,
        );
        const ids = timeline.data.map((e) => e.messageId);
        assert.deepEqual([...ids].sort(), [...sent].sort());
        assert.deepEqual(ids, [...sent].reverse(), 'newest first');
        return true;
      },
      { timeoutMs: 60_000 },
    );

    // CRM: the contact carries the CDP view of the same person, including the audience.
    await eventually(
      'the CRM contact carries the profile',
      async () => {
        const c = await api<CrmContact>('GET', `/v1/crm/contacts/${contact.id}`);
        assert.equal(c.cdp?.profileId, profileId);
        return true;
      },
      { timeoutMs: 60_000 },
    );

    // Segmentation: the person is in the audience (real time, no batch run asked for).
    await eventually(
      'the person is in the segment',
      async () => {
        const members = await api<{ data: { profileId: string }[] }>(
          'GET',
          `/v1/segments/${segment.id}/members`,
        );
        assert.deepEqual(
          members.data.map((m) => m.profileId),
          [profileId],
        );
        return true;
      },
      { timeoutMs: 60_000 },
    );
  });
});
