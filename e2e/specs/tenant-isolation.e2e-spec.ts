import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createSandbox,
  MONOLITH_ENTRY,
  runCli,
  startProcess,
  type RunningProcess,
  type Sandbox,
} from '../support/platform';

interface Tenant {
  workspaceId: string;
  keyId: string;
  key: string;
}

interface OpenApiOperation {
  security?: unknown[];
  parameters?: { name: string; in: string }[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Calls the API as workspace B (to create B's resources for a fixture). */
type AsB = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

/**
 * How to name workspace B's resources for each path parameter of each route (creating them as B
 * when needed). A route whose parameters have no entry here fails the test: every new route
 * must prove its isolation. Values B's resources must never show through A's listings are
 * collected in `secrets`.
 */
/** A segment of B (a trait condition: no ClickHouse data needed). */
async function bSegment(asB: AsB): Promise<Record<string, string>> {
  const created = await asB('POST', '/v1/segments', {
    name: 'segment of B',
    definition: { condition: { type: 'trait', key: 'plan', operator: 'equals', value: 'pro' } },
  });
  return { id: String(created.id) };
}

const FIXTURES: Record<string, (b: Tenant, asB: AsB) => Promise<Record<string, string>>> = {
  '/v1/workspaces/{workspaceId}': (b) => Promise.resolve({ workspaceId: b.workspaceId }),
  '/v1/api-keys/{id}': (b) => Promise.resolve({ id: b.keyId }),
  '/v1/api-keys/{id}/rotate': (b) => Promise.resolve({ id: b.keyId }),
  // ingestion: sources, write keys, debugger, tracking plans
  '/v1/sources/{id}': async (_b, asB) => ({ id: await bSource(asB) }),
  '/v1/sources/{id}/write-keys': async (_b, asB) => ({ id: await bSource(asB) }),
  '/v1/sources/{id}/events': async (_b, asB) => ({ id: await bSource(asB) }),
  '/v1/sources/{id}/write-keys/{keyId}': (_b, asB) => bWriteKey(asB),
  '/v1/sources/{id}/write-keys/{keyId}/rotate': (_b, asB) => bWriteKey(asB),
  '/v1/tracking-plans/{id}': async (_b, asB) => ({
    id: String((await asB('POST', '/v1/tracking-plans', { name: 'plan of B' })).id),
  }),
  // ingestion: bulk imports (a queued job of B, on a source of B)
  '/v1/imports/{id}': async (_b, asB) => ({ id: await bImport(asB) }),
  '/v1/imports/{id}/data': async (_b, asB) => ({ id: await bImport(asB) }),
  // segmentation: a segment of B
  '/v1/segments/{id}': (_b, asB) => bSegment(asB),
  '/v1/segments/{id}/members': (_b, asB) => bSegment(asB),
  '/v1/segments/{id}/export': (_b, asB) => bSegment(asB),
  '/v1/segments/{id}/evaluate': (_b, asB) => bSegment(asB),
  // identity: a profile of B (identifiers B's key states belong together)
  '/v1/identity/profiles/{id}/split': async (_b, asB) => ({
    id: String(
      (
        await asB('POST', '/v1/identity/observations', {
          identifiers: [{ type: 'user_id', value: 'user-of-b' }],
        })
      ).profileId,
    ),
  }),
  '/v1/identity/profiles/{id}/graph': async (_b, asB) => ({
    id: String(
      (
        await asB('POST', '/v1/identity/observations', {
          identifiers: [{ type: 'user_id', value: 'user-of-b' }],
        })
      ).profileId,
    ),
  }),
  // profile: a projected profile of B, its note, file and computed trait
  '/v1/profiles/{id}': async (_b, asB) => ({ id: await bProfile(asB) }),
  '/v1/profiles/{id}/events': async (_b, asB) => ({ id: await bProfile(asB) }),
  '/v1/profiles/{id}/traits': async (_b, asB) => ({ id: await bProfile(asB) }),
  '/v1/profiles/{id}/notes': async (_b, asB) => ({ id: await bProfile(asB) }),
  '/v1/profiles/{id}/files': async (_b, asB) => ({ id: await bProfile(asB) }),
  '/v1/profiles/{id}/notes/{noteId}': async (_b, asB) => {
    const id = await bProfile(asB);
    const note = await asB('POST', `/v1/profiles/${id}/notes`, { body: 'note of B' });
    return { id, noteId: String(note.id) };
  },
  '/v1/profiles/{id}/files/{fileId}': async (_b, asB) => {
    const id = await bProfile(asB);
    const file = await asB('POST', `/v1/profiles/${id}/files`, {
      url: 'https://files.example/b.png',
      contentType: 'image/png',
      sizeBytes: 1,
      checksum: 'sha256:0123456789abcdef0123456789abcdef',
    });
    return { id, fileId: String(file.id) };
  },
  '/v1/computed-traits/{key}': async (_b, asB) => {
    const created = await asB('POST', '/v1/computed-traits', {
      key: `b_orders_${Math.random().toString(36).slice(2, 8)}`,
      aggregation: 'count',
      event: 'Order Completed',
    });
    return { key: String((created.definition as { key: string }).key) };
  },
  // crm: one record of B per collection, on every record route (and the type-specific commands)
  ...crmFixtures(),
};

/** URL of the running platform (set in `before`), for fixtures that collect events. */
let platformUrl = '';

let bProfileOnce: Promise<string> | undefined;

/**
 * A profile of workspace B, as the product makes one: an identify collected with B's write key,
 * resolved by identity and projected by profile (found by its trait through B's list API).
 */
function bProfile(asB: AsB): Promise<string> {
  bProfileOnce ??= (async () => {
    const source = await bSource(asB);
    const key = String((await asB('POST', `/v1/sources/${source}/write-keys`, {})).key);
    const sent = await fetch(`${platformUrl}/v1/batch`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
      },
      body: JSON.stringify({
        batch: [{ type: 'identify', userId: 'user-of-b', traits: { isolation: 'profile-of-b' } }],
      }),
    });
    assert.equal(sent.status, 200, await sent.text());
    for (const deadline = Date.now() + 30_000; ;) {
      const listed = await asB('GET', '/v1/profiles?traits.isolation=profile-of-b');
      const [found] = listed.data as { id: string }[];
      if (found) return found.id;
      assert.ok(Date.now() < deadline, 'the profile of B was not projected within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return bProfileOnce;
}

/** A record of workspace B in a CRM collection (deals get a pipeline of B first). */
async function bCrmRecord(asB: AsB, collection: string): Promise<string> {
  const bodies: Record<string, () => Promise<Record<string, unknown>>> = {
    contacts: () => Promise.resolve({ email: 'contact-of-b@b.example' }),
    companies: () => Promise.resolve({ name: 'company of B' }),
    pipelines: () => Promise.resolve({ name: 'pipeline of B', stages: CRM_STAGES }),
    deals: async () => ({
      name: 'deal of B',
      pipelineId: String(
        (await asB('POST', '/v1/crm/pipelines', { name: 'p', stages: CRM_STAGES })).id,
      ),
    }),
    activities: () => Promise.resolve({ kind: 'note', subject: 'note of B' }),
    tasks: () => Promise.resolve({ title: 'task of B' }),
    tickets: () => Promise.resolve({ subject: 'ticket of B' }),
    owners: () => Promise.resolve({ name: 'owner of B', email: 'owner-of-b@b.example' }),
  };
  const body = bodies[collection];
  assert.ok(body, `no CRM fixture body for ${collection}`);
  return String((await asB('POST', `/v1/crm/${collection}`, await body())).id);
}

const CRM_STAGES = [{ name: 'Open' }, { name: 'Won', kind: 'won' }, { name: 'Lost', kind: 'lost' }];

function crmFixtures(): Record<string, (b: Tenant, asB: AsB) => Promise<Record<string, string>>> {
  const routes: Record<string, readonly string[]> = {
    contacts: [],
    companies: [],
    pipelines: [],
    deals: ['/stage'],
    activities: [],
    tasks: ['/complete', '/reopen'],
    tickets: ['/status'],
    owners: [],
  };
  const fixtures: Record<string, (b: Tenant, asB: AsB) => Promise<Record<string, string>>> = {};
  for (const [collection, commands] of Object.entries(routes))
    for (const suffix of ['', '/archive', '/restore', '/history', ...commands])
      fixtures[`/v1/crm/${collection}/{id}${suffix}`] = async (_b, asB) => ({
        id: await bCrmRecord(asB, collection),
      });
  return fixtures;
}

/** A source of workspace B (ingestion). */
async function bSource(asB: AsB): Promise<string> {
  return String((await asB('POST', '/v1/sources', { name: 'source of B', kind: 'server' })).id);
}

/** A queued import job of workspace B (ingestion). */
async function bImport(asB: AsB): Promise<string> {
  const sourceId = await bSource(asB);
  return String((await asB('POST', '/v1/imports', { sourceId, format: 'ndjson' })).id);
}

/** A source of workspace B with a write key. */
async function bWriteKey(asB: AsB): Promise<{ id: string; keyId: string }> {
  const id = await bSource(asB);
  return { id, keyId: String((await asB('POST', `/v1/sources/${id}/write-keys`, {})).id) };
}

async function bootstrap(name: string, sandbox: Sandbox): Promise<Tenant> {
  const { code, stdout } = await runCli(['bootstrap', '--name', name], sandbox);
  assert.equal(code, 0, stdout);
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, stdout);
  return JSON.parse(line) as Tenant;
}

describe('tenant isolation', () => {
  let sandbox: Sandbox;
  let platform: RunningProcess;
  let a: Tenant;
  let b: Tenant;

  before(async () => {
    sandbox = createSandbox('tenants');
    platform = await startProcess(MONOLITH_ENTRY, sandbox);
    platformUrl = platform.url;
    a = await bootstrap('workspace-a', sandbox);
    b = await bootstrap('workspace-b', sandbox);
  });
  after(async () => {
    await platform.process.stop('SIGTERM');
    await sandbox.cleanup();
  });

  const call = (method: string, path: string, key: string) => {
    const withBody = method === 'post' || method === 'put' || method === 'patch';
    return fetch(`${platform.url}${path}`, {
      method: method.toUpperCase(),
      headers: {
        authorization: `Bearer ${key}`,
        ...(withBody ? { 'content-type': 'application/json' } : {}),
      },
      ...(withBody ? { body: '{}' } : {}),
    });
  };

  test("a key of workspace A gets 404 on workspace B's resources on every authenticated route", async () => {
    const document = (await (await fetch(`${platform.url}/docs/openapi.json`)).json()) as {
      paths: Record<string, Partial<Record<(typeof METHODS)[number], OpenApiOperation>>>;
    };
    let checked = 0;
    const secrets = new Set<string>([b.workspaceId, b.keyId]);
    const asB: AsB = async (method, path, body) => {
      const response = await fetch(`${platform.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${b.key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      assert.ok(response.ok, `as B: ${method} ${path} -> ${response.status} ${text}`);
      return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    };
    // Fixtures first, so listings below are checked while B really has resources.
    const paths = Object.entries(document.paths).sort(
      ([x], [y]) => (x.includes('{') ? -1 : 1) - (y.includes('{') ? -1 : 1),
    );
    for (const [template, operations] of paths) {
      for (const method of METHODS) {
        const operation = operations[method];
        if (!operation?.security) continue; // public routes: health, metrics
        const pathParams = (operation.parameters ?? []).filter((p) => p.in === 'path');
        if (pathParams.length === 0) {
          // Collection routes are scoped by the key itself (a create cannot name another
          // workspace): nothing of B may show through a listing.
          if (method !== 'get') continue;
          const response = await call(method, template, a.key);
          assert.equal(response.status, 200, `${method.toUpperCase()} ${template}`);
          const body = await response.text();
          assert.ok(
            !body.includes(b.workspaceId) && !body.includes(b.keyId),
            `${template} leaks workspace B: ${body}`,
          );
          checked++;
          continue;
        }
        const fixture = FIXTURES[template];
        assert.ok(
          fixture,
          `no isolation fixture for ${method.toUpperCase()} ${template}: add one to FIXTURES`,
        );
        const values = await fixture(b, asB);
        Object.values(values).forEach((v) => secrets.add(v));
        const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => {
          const value = values[name];
          assert.ok(value, `fixture for ${template} has no value for {${name}}`);
          return value;
        });
        const response = await call(method, path, a.key);
        const text = await response.text();
        assert.equal(
          response.status,
          404,
          `${method.toUpperCase()} ${path} with A's key answered ${response.status}: ${text}`,
        );
        const body = JSON.parse(text) as { error?: { code?: string } };
        assert.ok(body.error?.code, 'machine-readable error');
        checked++;
      }
    }
    assert.ok(checked >= 6, `only ${checked} routes checked: is the OpenAPI document complete?`);

    // A's attempts (including DELETE and rotate) changed nothing of B: B's key still works on its resources.
    const own = await call('get', `/v1/api-keys/${b.keyId}`, b.key);
    assert.equal(own.status, 200);
    assert.equal(((await own.json()) as { status: string }).status, 'active');
    assert.equal((await call('get', `/v1/workspaces/${b.workspaceId}`, b.key)).status, 200);
  });

  test('no key is 401 and a wrong scope is 403, with the error body', async () => {
    const anonymous = await fetch(`${platform.url}/v1/api-keys`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
    const response = await fetch(`${platform.url}/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'reader', scopes: ['profiles:read'] }),
    });
    assert.equal(response.status, 201);
    const created = (await response.json()) as { key: string };
    const forbidden = await call('get', '/v1/api-keys', created.key);
    assert.equal(forbidden.status, 403);
    assert.match(
      ((await forbidden.json()) as { error: { code: string } }).error.code,
      /forbidden|scope/,
    );
  });
});
