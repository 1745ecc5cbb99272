import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { NatsConnection } from '@nats-io/nats-core';
import { DomainError } from '@cdp/contracts';
import { JetStreamServer, QueryClient, type QueryContext } from '../src';
import { connect, testNamespace } from './support';

const ns = testNamespace();
let nc: NatsConnection;
let client: QueryClient;
const servers: JetStreamServer[] = [];
const answeredBy: string[] = [];

async function startServer(name: string): Promise<void> {
  const server = new JetStreamServer({ connection: await connect(name), namespace: ns });
  server.addHandler('cdp.query.profile.get.v1', (data: unknown, ctx?: unknown) => {
    answeredBy.push(name);
    const { id } = data as { id: string };
    const c = ctx as QueryContext;
    if (id === 'missing')
      return Promise.reject(new DomainError('not_found', 'profile.not_found', `no profile ${id}`));
    return Promise.resolve({ id, workspace: c.workspaceId, subject: c.subject });
  });
  await server.start();
  servers.push(server);
}

before(async () => {
  nc = await connect('query-spec');
  client = new QueryClient(nc, ns);
  await startServer('pod-a');
  await startServer('pod-b');
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await nc.close();
});

void test('a query round-trips with workspace and un-namespaced subject', async () => {
  const data = await client.request<{ id: string; workspace: string; subject: string }>(
    'cdp.query.profile.get.v1',
    { id: 'p1' },
    { workspaceId: 'ws9' },
  );
  assert.deepEqual(data, { id: 'p1', workspace: 'ws9', subject: 'cdp.query.profile.get.v1' });
});

void test('an error reply is rethrown as the DomainError', async () => {
  await assert.rejects(
    client.request('cdp.query.profile.get.v1', { id: 'missing' }),
    (e: unknown) =>
      e instanceof DomainError &&
      e.kind === 'not_found' &&
      e.code === 'profile.not_found' &&
      e.message === 'no profile missing',
  );
});

void test('no responder becomes a retryable unavailable error', async () => {
  await assert.rejects(
    client.request('cdp.query.profile.nobody.v1', {}, { timeoutMs: 500 }),
    (e: unknown) => e instanceof DomainError && e.kind === 'unavailable' && e.retryable,
  );
});

void test('a slow responder times out as unavailable', async () => {
  const sub = nc.subscribe(ns.subject('cdp.query.profile.slow.v1'), { callback: () => undefined });
  await assert.rejects(
    client.request('cdp.query.profile.slow.v1', {}, { timeoutMs: 200 }),
    (e: unknown) => e instanceof DomainError && e.kind === 'unavailable',
  );
  sub.unsubscribe();
});

void test('pods in the queue group share the requests (each answered once)', async () => {
  answeredBy.length = 0;
  await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      client.request('cdp.query.profile.get.v1', { id: `p${i}` }),
    ),
  );
  assert.equal(answeredBy.length, 40);
  assert.ok(answeredBy.includes('pod-a') && answeredBy.includes('pod-b'), answeredBy.join(','));
});
