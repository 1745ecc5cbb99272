import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
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
  queryClickHouse,
  rawRequest,
  waitForWriterDrained,
  type RawResponse,
  type CollectionSource,
  type Workspace,
} from '../support/ingestion';
import {
  BAD_INPUT_USER,
  caseBody,
  loadBadInputCorpus,
  type BadInputCase,
} from '../support/bad-input';

interface Outcome {
  readonly name: string;
  readonly status: number;
  readonly code?: string;
  readonly message?: string;
  readonly problem?: string;
}

const ALL_CASES = loadBadInputCorpus();
/** Must be refused. */
const CORPUS = ALL_CASES.filter((c) => (c.expect ?? '4xx') === '4xx');
/** Valid JSON that is hard to store: refused, or accepted and then stored. */
const STORABLE = ALL_CASES.filter((c) => c.expect === 'stored-or-4xx');

function authorization(c: BadInputCase, source: CollectionSource): string | undefined {
  switch (c.auth ?? 'write-key') {
    case 'write-key':
      return basicAuth(source.writeKey);
    case 'none':
      return undefined;
    case 'unknown-key':
      return basicAuth(`${source.writeKey.slice(0, -4)}zzzz`);
    case 'malformed':
      return 'Basic %%%not-base64%%%';
  }
}

/** Sends one case and judges the answer: the expected 4xx with {error:{code,message}}. */
async function send(baseUrl: string, source: CollectionSource, c: BadInputCase): Promise<Outcome> {
  const auth = authorization(c, source);
  let response: RawResponse;
  try {
    response = await rawRequest(`${baseUrl}${c.path}`, {
      method: c.method ?? 'POST',
      headers: {
        'content-type': 'application/json',
        ...(auth === undefined ? {} : { authorization: auth }),
        ...c.headers,
      },
      body: caseBody(c),
    });
  } catch (error) {
    return { name: c.name, status: 0, problem: `no answer: ${String(error)}` };
  }
  const text = response.text;
  let body: { error?: { code?: unknown; message?: unknown } } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  const code = typeof body?.error?.code === 'string' ? body.error.code : undefined;
  const message = typeof body?.error?.message === 'string' ? body.error.message : undefined;
  const problems: string[] = [];
  if (response.status < 400 || response.status > 499)
    problems.push(`status ${response.status} is not a 4xx`);
  else if (c.status !== undefined && response.status !== c.status)
    problems.push(`status ${response.status}, expected ${c.status}`);
  if (!code || !message) problems.push(`no {error:{code,message}} body: ${text.slice(0, 200)}`);
  return {
    name: c.name,
    status: response.status,
    code,
    message: message?.slice(0, 120),
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
  };
}

describe('bad input corpus against the running process', () => {
  let sandbox: Sandbox;
  let platform: RunningProcess;
  let workspace: Workspace;
  let source: CollectionSource;

  before(async () => {
    sandbox = createSandbox('badinput');
    platform = await startProcess(MONOLITH_ENTRY, sandbox, { args: ['--services=ingestion'] });
    workspace = await bootstrapWorkspace(sandbox, 'bad-input');
    source = await createSource(platform.url, workspace.key, 'fuzzed', 'server');
  });
  after(async () => {
    await platform?.process.stop('SIGKILL');
    await sandbox?.cleanup();
  });

  const alive = async () => {
    assert.equal(platform.process.child.exitCode, null, platform.process.output().slice(-3000));
    assert.equal((await fetch(`${platform.url}/health/live`)).status, 200);
  };

  test('every case gets a 4xx with a machine-readable error, one at a time', async (t) => {
    assert.ok(CORPUS.length >= 20, `the corpus has ${CORPUS.length} cases`);
    const outcomes: Outcome[] = [];
    for (const c of CORPUS) outcomes.push(await send(platform.url, source, c));
    for (const o of outcomes)
      t.diagnostic(`${o.status} ${o.code ?? '-'} | ${o.name} | ${o.message ?? o.problem ?? ''}`);
    assert.deepEqual(
      outcomes.filter((o) => o.problem),
      [],
      'cases answered otherwise than with their 4xx and error body',
    );
    await alive();
  });

  test('the whole corpus at once, three times over, leaves the process serving', async (t) => {
    const rounds = await Promise.all(
      [0, 1, 2].map(() => Promise.all(CORPUS.map((c) => send(platform.url, source, c)))),
    );
    const problems = rounds.flat().filter((o) => o.problem);
    assert.deepEqual(problems, [], 'concurrent corpus');
    await alive();
    t.diagnostic(`${rounds.flat().length} bad requests answered concurrently`);
  });

  test('good events are still accepted and stored afterwards; no bad event is', async (t: TestContext) => {
    const good = Array.from({ length: 5 }, (_, i) => `good-after-corpus-${i}`);
    for (const messageId of good) {
      const response = await fetch(`${platform.url}/v1/track`, {
        method: 'POST',
        headers: { authorization: basicAuth(source.writeKey), 'content-type': 'application/json' },
        body: JSON.stringify({ messageId, userId: 'good-user', event: 'Still Works' }),
      });
      assert.equal(response.status, 200, await response.text());
    }
    await waitForWriterDrained(sandbox, { platform: platform.process });
    assert.equal((await platform.process.stop('SIGTERM')).code, 0);
    const rows = await queryClickHouse<{ message_id: string; user_id: string; event: string }>(
      sandbox,
      'SELECT message_id, user_id, event FROM events WHERE workspace_id = {w:String}',
      { w: workspace.workspaceId },
    );
    t.diagnostic(`${rows.length} rows stored`);
    assert.deepEqual(rows.map((r) => r.message_id).sort(), good, 'exactly the good events');
    assert.ok(!rows.some((r) => r.user_id.includes(BAD_INPUT_USER)), 'no bad-input event stored');
  });
});

describe('valid JSON that is hard to store: refused, or stored once accepted', () => {
  let sandbox: Sandbox;
  let platform: RunningProcess;
  let workspace: Workspace;
  let source: CollectionSource;

  before(async () => {
    sandbox = createSandbox('storable');
    platform = await startProcess(MONOLITH_ENTRY, sandbox, { args: ['--services=ingestion'] });
    workspace = await bootstrapWorkspace(sandbox, 'storable');
    source = await createSource(platform.url, workspace.key, 'edge', 'server');
  });
  after(async () => {
    await platform?.process.stop('SIGKILL');
    await sandbox?.cleanup();
  });

  test('a 200 means stored, and good events sent alongside are stored too', async (t: TestContext) => {
    const accepted: string[] = [];
    for (const c of STORABLE) {
      const response = await rawRequest(`${platform.url}${c.path}`, {
        headers: {
          authorization: basicAuth(source.writeKey),
          'content-type': 'application/json',
        },
        body: caseBody(c),
      });
      t.diagnostic(`${response.status} | ${c.name} | ${response.text.slice(0, 120)}`);
      assert.ok(
        response.status === 200 || (response.status >= 400 && response.status < 500),
        `${c.name}: ${response.status} ${response.text}`,
      );
      if (response.status === 200) {
        const messageId = /"messageId":"([^"]+)"/.exec(caseBody(c).toString('utf8'))?.[1];
        assert.ok(messageId, `${c.name} names its messageId`);
        accepted.push(messageId);
      }
    }
    const good = ['good-with-edge-0', 'good-with-edge-1', 'good-with-edge-2'];
    for (const messageId of good) {
      const response = await fetch(`${platform.url}/v1/track`, {
        method: 'POST',
        headers: {
          authorization: basicAuth(source.writeKey),
          'content-type': 'application/json',
        },
        body: JSON.stringify({ messageId, userId: 'good-user', event: 'Alongside' }),
      });
      assert.equal(response.status, 200);
    }
    await waitForWriterDrained(sandbox, { platform: platform.process, timeoutMs: 12_000 });
    assert.equal((await platform.process.stop('SIGTERM')).code, 0);
    const rows = await queryClickHouse<{ message_id: string; copies: number }>(
      sandbox,
      `SELECT message_id, count() AS copies FROM events WHERE workspace_id = {w:String}
          GROUP BY message_id ORDER BY message_id`,
      { w: workspace.workspaceId },
    );
    assert.deepEqual(
      rows.map((r) => [r.message_id, Number(r.copies)]),
      [...accepted, ...good].sort().map((id) => [id, 1]),
      'every accepted event stored once',
    );
  });
});
