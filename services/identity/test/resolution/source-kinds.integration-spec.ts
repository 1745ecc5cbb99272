import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SUBJECTS } from '@cdp/contracts';
import { acceptedEvent, startIdentity, type IdentityHarness } from '../support/harness';
import { SOURCE_KIND_QUERY } from '../../src/resolution/infrastructure/query-source-kind-lookup';

let h: IdentityHarness;
const asked: string[] = [];

// The source registry (ingestion) answers on core NATS; here a responder with two sources.
const REGISTRY: Record<string, string> = { src_backend_1: 'server', src_site_1: 'browser' };

before(async () => {
  h = await startIdentity();
  const nats = h.platform.infrastructure.nats;
  nats.subscribe(`${h.namespace}.${SOURCE_KIND_QUERY}`, {
    callback: (_error, message) => {
      const { sourceId } = message.json<{ sourceId: string }>();
      asked.push(`${message.headers?.get('cdp-workspace') ?? ''}/${sourceId}`);
      const kind = REGISTRY[sourceId];
      message.respond(
        JSON.stringify(
          kind
            ? { ok: true, data: { kind } }
            : { ok: false, error: { kind: 'not_found', code: 'source.not_found', message: 'no' } },
        ),
      );
    },
  });
  await nats.flush();
});
after(async () => {
  await h.close();
});

async function profileOf(ws: string, type: string, value: string): Promise<string | undefined> {
  const rows = await h.postgres.query<{ profile_id: string }[]>(
    'SELECT profile_id FROM identity.identifiers WHERE workspace_id = $1 AND type = $2 AND value = $3',
    [ws, type, value],
  );
  return rows[0]?.profile_id;
}

test('a server source of the registry may merge two known profiles; a browser source may not', async () => {
  const ws = h.tenant.workspaceId;
  await h.publishAccepted(ws, [
    acceptedEvent(ws, { type: 'identify', userId: 'u-1', sourceId: 'src_site_1' }),
    acceptedEvent(ws, {
      type: 'identify',
      anonymousId: 'a-2',
      traits: { email: 'two@x.io' },
      sourceId: 'src_site_1',
    }),
    // The browser says both are one person: refused (two known profiles).
    acceptedEvent(ws, {
      type: 'identify',
      userId: 'u-1',
      traits: { email: 'two@x.io' },
      sourceId: 'src_site_1',
    }),
  ]);
  const user = await h.eventually(() => profileOf(ws, 'user_id', 'u-1'));
  const email = await h.eventually(() => profileOf(ws, 'email', 'two@x.io'));
  assert.notEqual(user, email, 'a browser cannot merge two known profiles');
  const [conflicts] = await h.postgres.query<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM identity.conflicts WHERE workspace_id = $1
       AND rule = 'trust.untrusted_merge'`,
    [ws],
  );
  assert.equal(conflicts?.n, 1);

  // The backend, a server source in the registry, says the same: merged.
  await h.publishAccepted(ws, [
    acceptedEvent(ws, {
      type: 'identify',
      userId: 'u-1',
      traits: { email: 'two@x.io' },
      sourceId: 'src_backend_1',
    }),
  ]);
  await h.eventually(() =>
    h.published.find((p) => p.subject === `${SUBJECTS.profileMerged}.${ws}`),
  );
  assert.equal(await profileOf(ws, 'email', 'two@x.io'), user);
  assert.deepEqual(
    [...new Set(asked)].sort(),
    [`${ws}/src_backend_1`, `${ws}/src_site_1`],
    'each source asked once (kinds are cached)',
  );
  assert.equal(asked.length, 2);
});
