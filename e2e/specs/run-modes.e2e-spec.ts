import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVICE_NAMES } from '@cdp/runtime';
import { spawnNode } from '@cdp/testing';
import {
  createSandbox,
  MONOLITH_ENTRY,
  serviceEntry,
  startProcess,
  type Sandbox,
} from '../support/platform';

interface Readiness {
  status: string;
  checks: Record<string, { status: string }>;
}

const USES_CLICKHOUSE = new Set(['ingestion', 'identity', 'profile', 'segmentation', 'crm']);

function expectedChecks(service: string): string[] {
  const checks = [`${service}.nats`, `${service}.postgres`];
  if (USES_CLICKHOUSE.has(service)) checks.push(`${service}.clickhouse`);
  return checks;
}

describe('monolithic mode', () => {
  let sandbox: Sandbox;
  before(() => {
    sandbox = createSandbox('mono');
  });
  after(() => sandbox.cleanup());

  test('hosts all six services on one port, each ready, and stops cleanly on Ctrl-C', async () => {
    const { url, process } = await startProcess(MONOLITH_ENTRY, sandbox);
    const ready = (await (await fetch(`${url}/health/ready`)).json()) as Readiness;
    assert.equal(ready.status, 'ready');
    for (const service of SERVICE_NAMES) {
      for (const check of expectedChecks(service)) {
        assert.equal(
          ready.checks[check]?.status,
          'up',
          `${check} should be up: ${JSON.stringify(ready.checks)}`,
        );
      }
    }
    assert.equal((await fetch(`${url}/health/live`)).status, 200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /http_request_duration_seconds_bucket\{[^}]*route="\/health\/ready"/);
    const openapi = (await (await fetch(`${url}/docs/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    assert.ok(Object.keys(openapi.paths).length > 0, 'OpenAPI document lists routes');
    const stopped = await process.stop('SIGINT');
    assert.equal(stopped.code, 0, process.output());
    assert.ok(stopped.ms < 10_000, `stopped in ${stopped.ms} ms`);
  });

  test('--services hosts only the listed services', async () => {
    const { url, process } = await startProcess(MONOLITH_ENTRY, sandbox, {
      args: ['--services=crm,activation'],
    });
    const ready = (await (await fetch(`${url}/health/ready`)).json()) as Readiness;
    assert.deepEqual(
      Object.keys(ready.checks)
        .map((c) => c.split('.')[0])
        .filter((v, i, a) => a.indexOf(v) === i)
        .sort(),
      ['activation', 'crm'],
    );
    assert.equal((await process.stop('SIGTERM')).code, 0);
  });
});

describe('each service alone', () => {
  let sandbox: Sandbox;
  before(() => {
    sandbox = createSandbox('alone');
  });
  after(() => sandbox.cleanup());

  for (const service of SERVICE_NAMES) {
    test(`${service} boots from its own main.ts and is ready`, async () => {
      const { url, process } = await startProcess(serviceEntry(service), sandbox);
      const ready = (await (await fetch(`${url}/health/ready`)).json()) as Readiness;
      assert.deepEqual(Object.keys(ready.checks).sort(), expectedChecks(service).sort());
      assert.ok(
        Object.values(ready.checks).every((c) => c.status === 'up'),
        JSON.stringify(ready.checks),
      );
      assert.equal((await process.stop('SIGTERM')).code, 0, process.output());
    });
  }
});

describe('start-up failures are one readable line', () => {
  const sandbox = createSandbox('fail');
  after(() => sandbox.cleanup());

  const cases: { name: string; env: Record<string, string>; line: RegExp }[] = [
    {
      name: 'NATS down',
      env: { NATS_URL: 'nats://127.0.0.1:1' },
      line: /^cdp: NATS is not reachable at nats:\/\/127\.0\.0\.1:1 .*nats-server -js/,
    },
    {
      name: 'Postgres down',
      env: { DATABASE_URL: 'postgres://root@127.0.0.1:1/cdp' },
      line: /^cdp: PostgreSQL is not reachable at postgres:\/\/root@127\.0\.0\.1:1\/cdp .*pg_ctlcluster/,
    },
    { name: 'bad PORT', env: { PORT: 'eighty' }, line: /PORT: expected a TCP port number/ },
  ];
  for (const { name, env, line } of cases) {
    test(name, async () => {
      const spawned = spawnNode(MONOLITH_ENTRY, [], { ...sandbox.env, ...env });
      const { code } = await spawned.exited;
      assert.equal(code, 1);
      const lines = spawned.output().trim().split('\n');
      assert.ok(
        lines.some((l) => line.test(l)),
        spawned.output(),
      );
    });
  }
});
