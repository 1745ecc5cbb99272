import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptedEvent, startIdentity, type IdentityHarness } from '../support/harness';

let h: IdentityHarness;

before(async () => {
  h = await startIdentity();
});
after(async () => {
  await h.close();
});

interface ConfigView {
  workspaceId: string;
  version: number;
  config: Record<string, unknown>;
  effective: {
    types: { type: string; limit: number; class: string; paths: string[] }[];
    defaultPhoneRegion: string | null;
    mergeProtection: boolean;
  };
}
interface ErrorBody {
  error: { code: string; details?: { field?: string } };
}

async function put(body: unknown, key?: string): Promise<Response> {
  return h.api('/v1/identity/config', {
    method: 'PUT',
    body: JSON.stringify(body),
    ...(key ? { key } : {}),
  });
}

test('a workspace runs on the defaults until it sets its rules', async () => {
  const response = await h.api('/v1/identity/config');
  assert.equal(response.status, 200);
  const view = (await response.json()) as ConfigView;
  assert.equal(view.version, 0);
  assert.deepEqual(view.config, {});
  assert.deepEqual(
    view.effective.types.map((t) => [t.type, t.limit]),
    [
      ['user_id', 1],
      ['email', 5],
      ['phone', 5],
      ['crm_contact_id', 5],
      ['anonymous_id', 5],
    ],
  );
  assert.equal(view.effective.defaultPhoneRegion, null);
});

test('invalid rules are 400s naming the field; nothing is stored', async () => {
  const cases: [unknown, string][] = [
    [{ limits: { email: 0 } }, 'limits.email'],
    [{ limits: { fax: 2 } }, 'limits.fax'],
    [{ customTypes: [{ type: 'Loyalty ID' }] }, 'customTypes[0].type'],
    [{ blockLists: { email: [{ kind: 'regex', pattern: '(' }] } }, 'blockLists.email[0].pattern'],
    [{ defaultPhoneRegion: 'XX' }, 'defaultPhoneRegion'],
    [{ priority: ['email', 'email'] }, 'priority[1]'],
    [{ paths: { email: ['cookies.email'] } }, 'paths.email[2]'],
    [{ mergeProtection: 'yes' }, 'mergeProtection'],
    [{ unknownField: 1 }, '(body)'],
  ];
  for (const [body, field] of cases) {
    const response = await put(body);
    assert.equal(response.status, 400, JSON.stringify(body));
    const error = (await response.json()) as ErrorBody;
    assert.equal(error.error.details?.field, field, JSON.stringify(body));
  }
  const view = (await (await h.api('/v1/identity/config')).json()) as ConfigView;
  assert.equal(view.version, 0);
});

test('custom types with their paths, a phone region, block lists and limits apply to later events', async () => {
  const ws = h.tenant.workspaceId;
  const response = await put({
    customTypes: [{ type: 'loyalty_id', class: 'known', paths: ['traits.loyaltyId'] }],
    priority: ['user_id', 'loyalty_id', 'email'],
    limits: { email: 2 },
    blockLists: { email: [{ kind: 'exact', pattern: 'test@example.com' }] },
    defaultPhoneRegion: 'de',
  });
  assert.equal(response.status, 200);
  const view = (await response.json()) as ConfigView;
  assert.equal(view.version, 1);
  assert.deepEqual(
    view.effective.types.slice(0, 3).map((t) => [t.type, t.limit, t.class]),
    [
      ['user_id', 1, 'known'],
      ['loyalty_id', 5, 'known'],
      ['email', 2, 'known'],
    ],
  );
  assert.equal(view.effective.defaultPhoneRegion, 'DE');

  await h.publishAccepted(ws, [
    acceptedEvent(ws, {
      type: 'identify',
      anonymousId: 'anon-cfg',
      traits: { loyaltyId: 'L-42', phone: '030 1234567', email: 'TEST@example.com' },
    }),
  ]);
  const keys = await h.eventually(async () => {
    const rows = await h.postgres.query<{ key: string }[]>(
      `SELECT type || ':' || value AS key FROM identity.identifiers
       WHERE workspace_id = $1 ORDER BY 1`,
      [ws],
    );
    return rows.length > 0 ? rows.map((r) => r.key) : undefined;
  });
  assert.deepEqual(keys, ['anonymous_id:anon-cfg', 'loyalty_id:L-42', 'phone:+49301234567']);

  // Saved again: the version moves; another workspace still runs on the defaults.
  assert.equal(((await (await put({ limits: { email: 3 } })).json()) as ConfigView).version, 2);
  const other = await h.newTenant();
  const theirs = (await (
    await h.api('/v1/identity/config', { key: other.adminKey })
  ).json()) as ConfigView;
  assert.equal(theirs.version, 0);
});

test('reading needs identity:read, writing identity:write', async () => {
  const created = await h.api('/v1/api-keys', {
    method: 'POST',
    body: JSON.stringify({ name: 'read only', scopes: ['identity:read'] }),
  });
  const { key } = (await created.json()) as { key: string };
  assert.equal((await h.api('/v1/identity/config', { key })).status, 200);
  assert.equal((await put({}, key)).status, 403);
});
