import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { STREAMS } from '@cdp/contracts';
import { EventPublisher, Namespace, ensureStreams } from '../src';
import { NATS_URL, connect, deleteStreams, testNamespace, waitFor } from './support';

const FIXTURE = join(__dirname, 'fixtures', 'consumer-process.js');
const dir = mkdtempSync(join(tmpdir(), 'cdp-messaging-'));
let nc: NatsConnection;
let jsm: JetStreamManager;

before(async () => {
  nc = await connect('crash-spec');
  jsm = await jetstreamManager(nc);
});

after(async () => {
  await nc.close();
});

interface Child {
  readonly process: ChildProcess;
  readonly out: string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startConsumer(
  ns: string,
  name: string,
  env: Record<string, string>,
): Promise<Child> {
  const out = join(dir, `${ns}-${name}.log`);
  const child = fork(FIXTURE, [], {
    env: { ...process.env, NATS_URL, NS: ns, OUT: out, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    void exit.then(({ code }) => reject(new Error(`consumer exited early with ${code}`)));
  });
  return { process: child, out, exit };
}

function lines(child: Child, kind: 'start' | 'done'): string[] {
  if (!existsSync(child.out)) return [];
  return readFileSync(child.out, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${kind} `))
    .map((l) => l.split(' ')[1]!);
}

async function publishIds(ns: string, n: number): Promise<string[]> {
  const namespace = Namespace.of(ns);
  await ensureStreams(jsm, namespace, [STREAMS.segmentation, STREAMS.deadletter]);
  const publisher = new EventPublisher(nc, namespace);
  const ids = Array.from({ length: n }, (_, i) => `id${i}`);
  for (let i = 0; i < ids.length; i += 100) {
    await Promise.all(
      ids
        .slice(i, i + 100)
        .map((id) =>
          publisher.publish(
            'cdp.segmentation.membership.changed.v1.ws1',
            { id },
            { messageId: id, workspaceId: 'ws1', schema: 'test.v1' },
          ),
        ),
    );
  }
  return ids;
}

async function consumerInfo(
  ns: string,
): Promise<{ ackFloor: number; lastSeq: number; pending: number; ackPending: number }> {
  const info = await jsm.consumers.info(`${ns}_${STREAMS.segmentation.name}`, 'crash-test');
  const stream = await jsm.streams.info(`${ns}_${STREAMS.segmentation.name}`);
  return {
    ackFloor: info.ack_floor.stream_seq,
    lastSeq: stream.state.last_seq,
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
  };
}

void test('SIGKILL in the middle of a batch loses nothing: the next consumer processes the rest', async () => {
  const ns = testNamespace();
  try {
    const ids = await publishIds(ns.value, 500);
    const first = await startConsumer(ns.value, 'first', { HANDLER_MS: '5', CONCURRENCY: '10' });
    await waitFor(
      () => lines(first, 'done').length >= 150,
      20_000,
      '150 processed before the kill',
    );
    first.process.kill('SIGKILL');
    const { signal } = await first.exit;
    assert.equal(signal, 'SIGKILL');
    const killedAt = lines(first, 'done').length;
    assert.ok(killedAt < 500, 'killed mid-way');

    const second = await startConsumer(ns.value, 'second', { HANDLER_MS: '1', CONCURRENCY: '20' });
    const processed = (): Set<string> =>
      new Set([...lines(first, 'done'), ...lines(second, 'done')]);
    await waitFor(() => processed().size === ids.length, 30_000, 'every id processed');
    await waitFor(
      async () => (await consumerInfo(ns.value)).ackPending === 0,
      10_000,
      'all acks recorded',
    );
    const info = await consumerInfo(ns.value);
    assert.equal(info.ackFloor, info.lastSeq, 'the ack floor covers the whole stream');
    assert.equal(info.pending, 0);
    assert.deepEqual([...processed()].sort(), [...ids].sort());
    second.process.kill('SIGTERM');
    assert.equal((await second.exit).code, 0);
  } finally {
    await deleteStreams(ns);
  }
});

void test('SIGTERM drains: in-flight messages finish and are acked, the rest go to the next consumer', async () => {
  const ns = testNamespace();
  try {
    const ids = await publishIds(ns.value, 60);
    const first = await startConsumer(ns.value, 'first', {
      HANDLER_MS: '400',
      CONCURRENCY: '5',
      SHUTDOWN_MS: '5000',
    });
    await waitFor(() => lines(first, 'start').length >= 5, 10_000, 'five handlers in flight');
    const termAt = Date.now();
    first.process.kill('SIGTERM');
    const { code } = await first.exit;
    assert.equal(code, 0, 'exits cleanly');
    assert.ok(Date.now() - termAt < 5000, 'within the shutdown timeout');
    const started = lines(first, 'start');
    const done = lines(first, 'done');
    assert.deepEqual(
      [...done].sort(),
      [...new Set(started)].sort(),
      'every handler that started finished',
    );
    assert.ok(done.length < ids.length, 'it stopped taking work');

    const second = await startConsumer(ns.value, 'second', { HANDLER_MS: '1', CONCURRENCY: '20' });
    await waitFor(
      () => new Set([...done, ...lines(second, 'done')]).size === ids.length,
      20_000,
      'the rest processed',
    );
    const redelivered = lines(second, 'start').filter((id) => done.includes(id));
    assert.deepEqual(
      redelivered,
      [],
      'what the first consumer finished was acked, never redelivered',
    );
    assert.ok(lines(second, 'done').length > 0);
    second.process.kill('SIGTERM');
    assert.equal((await second.exit).code, 0);
  } finally {
    await deleteStreams(ns);
  }
});
