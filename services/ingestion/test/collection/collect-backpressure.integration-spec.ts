import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { freePort, tempDir } from '@cdp/testing';
import { startIngestion, type IngestionHarness } from '../support/harness';
import { collect, newSource, storedEvents, type TestSource } from './support';

/** A dedicated nats-server this file can kill and restart (same port, same store). */
let port: number;
let storeDir: string;
let nats: ChildProcess | undefined;
let harness: IngestionHarness;
let source: TestSource;

async function startNats(): Promise<void> {
  const child = spawn('/usr/sbin/nats-server', ['-js', '-p', String(port), '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Server is ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`nats-server exited ${code}: ${out}`)));
  });
  nats = child;
}

function killNats(): Promise<void> {
  const child = nats;
  nats = undefined;
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

before(async () => {
  port = await freePort();
  storeDir = tempDir('cdp-collect-nats-');
  await startNats();
  harness = await startIngestion({
    NATS_URL: `nats://127.0.0.1:${port}`,
    INGEST_RATE_LIMIT_PER_SECOND: '10',
    INGEST_PUBLISH_TIMEOUT_MS: '1000',
  });
  source = await newSource(harness, 'bp');
});
after(async () => {
  if (nats === undefined) await startNats(); // lets the harness drain cleanly
  await harness?.close();
  await killNats();
});

test('past the per-workspace rate, requests get 429 with Retry-After; it refills', async () => {
  const batch = (n: number) => ({
    batch: Array.from({ length: n }, () => ({ type: 'track', userId: 'r', event: 'Rated' })),
  });
  const first = await collect(harness, '/v1/batch', batch(10), { writeKey: source.writeKey });
  assert.equal(first.status, 200);
  const second = await collect(harness, '/v1/batch', batch(5), { writeKey: source.writeKey });
  assert.equal(second.status, 429);
  assert.ok(Number(second.headers.get('retry-after')) >= 1);
  assert.equal(
    ((await second.json()) as { error: { code: string } }).error.code,
    'ingestion.rate_limited',
  );
  await new Promise((r) => setTimeout(r, 1100));
  const third = await collect(
    harness,
    '/v1/track',
    { userId: 'r', event: 'Later' },
    { writeKey: source.writeKey },
  );
  assert.equal(third.status, 200);
});

test('NATS down: 503 with Retry-After, bounded in time; NATS back: 200 again by itself, nothing acknowledged lost', async () => {
  await new Promise((r) => setTimeout(r, 1100)); // refill the bucket
  const before = randomUUID();
  const ok = await collect(
    harness,
    '/v1/track',
    { userId: 'n', event: 'Before', messageId: before },
    { writeKey: source.writeKey },
  );
  assert.equal(ok.status, 200);

  await killNats();
  const started = Date.now();
  const down = await collect(
    harness,
    '/v1/track',
    { userId: 'n', event: 'During' },
    { writeKey: source.writeKey },
  );
  assert.equal(down.status, 503);
  assert.ok(Number(down.headers.get('retry-after')) >= 1);
  assert.ok(Date.now() - started < 5000, 'the client is answered within the publish timeout');
  assert.equal(
    ((await down.json()) as { error: { code: string } }).error.code,
    'ingestion.publish_failed',
  );

  await startNats();
  const after = randomUUID();
  let status = 0;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const res = await collect(
      harness,
      '/v1/track',
      { userId: 'n', event: 'After', messageId: after },
      { writeKey: source.writeKey },
    );
    status = res.status;
    await res.body?.cancel();
    if (status === 200) break;
    assert.equal(status, 503, 'only 503 while reconnecting');
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.equal(status, 200, 'recovers once NATS is back');
  const stored = await storedEvents(harness.platform.infrastructure.nats, harness.namespace, [
    before,
    after,
  ]);
  assert.equal(stored.size, 2, 'events acknowledged before and after the outage are in the stream');
});
