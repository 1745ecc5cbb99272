import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DomainError, STREAMS } from '@cdp/contracts';
import { BatchingPublisher, EventPublisher, ensureStreams } from '../src';
import { connect, deleteStreams, testNamespace } from './support';

const ns = testNamespace();
let nc: NatsConnection;
let jsm: JetStreamManager;
let publisher: EventPublisher;

before(async () => {
  nc = await connect('publisher-spec');
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, ns, [STREAMS.ingestion, STREAMS.identity]);
  publisher = new EventPublisher(nc, ns);
});

after(async () => {
  await nc.close();
  await deleteStreams(ns);
});

async function count(stream: string, subject: string): Promise<number> {
  const info = await jsm.streams.info(ns.stream(stream), { subjects_filter: ns.subject(subject) });
  return info.state.subjects?.[ns.subject(subject)] ?? 0;
}

void test('ensureStreams is idempotent and applies the settings', async () => {
  await ensureStreams(jsm, ns, [STREAMS.ingestion]);
  await ensureStreams(jsm, ns, [STREAMS.ingestion], {
    byStream: { EVENTS: { maxAgeMs: 3_600_000 } },
  });
  const info = await jsm.streams.info(ns.stream('EVENTS'));
  assert.equal(info.config.storage, 'file');
  assert.deepEqual(info.config.subjects, [ns.subject('cdp.ingestion.>')]);
  assert.equal(info.config.duplicate_window, 120_000 * 1_000_000);
  assert.equal(info.config.max_age, 3_600_000 * 1_000_000);
});

void test('a duplicate Nats-Msg-Id is stored once, scoped by workspace', async () => {
  const subject = 'cdp.identity.profile.merged.v1.ws1';
  const opts = { messageId: 'm-1', workspaceId: 'ws1', schema: 'cdp.identity.v1.ProfileMerged' };
  const first = await publisher.publish(subject, { a: 1 }, opts);
  const second = await publisher.publish(subject, { a: 1 }, opts);
  assert.equal(first.duplicate, false);
  assert.equal(second.duplicate, true);
  assert.equal(second.seq, first.seq);
  assert.equal(first.stream, 'IDENTITY');
  assert.equal(await count('IDENTITY', subject), 1);
  const other = await publisher.publish(
    'cdp.identity.profile.merged.v1.ws2',
    { a: 1 },
    { ...opts, workspaceId: 'ws2' },
  );
  assert.equal(other.duplicate, false, 'another workspace may reuse the id');
  const stored = await jsm.streams.getMessage(ns.stream('IDENTITY'), { seq: first.seq });
  assert.equal(stored?.header.get('Nats-Msg-Id'), 'ws1:m-1');
  assert.equal(stored?.header.get('cdp-workspace'), 'ws1');
  assert.equal(stored?.header.get('cdp-schema'), 'cdp.identity.v1.ProfileMerged');
  assert.equal(stored?.header.get('content-type'), 'application/json');
});

void test('micro-batching turns many adds into few messages and every item arrives', async () => {
  const batching = new BatchingPublisher(publisher, { maxItems: 50, lingerMs: 5 });
  const subject = 'cdp.ingestion.event.accepted.v1.ws1.0';
  const results = await Promise.all(
    Array.from({ length: 500 }, (_, i) =>
      batching.add(
        subject,
        { id: `e${i}` },
        { messageId: `e${i}`, workspaceId: 'ws1', schema: 'batch.v1' },
      ),
    ),
  );
  const messages = await count('EVENTS', subject);
  assert.ok(messages <= 12, `500 items in ${messages} messages`);
  assert.ok(results.every((r) => r.stream === 'EVENTS' && r.seq > 0));
  const ids: string[] = [];
  const seqs = [...new Set(results.map((r) => r.seq))];
  for (const seq of seqs) {
    const m = await jsm.streams.getMessage(ns.stream('EVENTS'), { seq });
    ids.push(...(m?.json<{ items: Array<{ id: string }> }>().items.map((x) => x.id) ?? []));
  }
  assert.deepEqual(ids.sort(), Array.from({ length: 500 }, (_, i) => `e${i}`).sort());
  assert.equal(batching.pendingBytes, 0);
});

void test('a retried batch with the same items is deduplicated', async () => {
  const batching = new BatchingPublisher(publisher, { maxItems: 3 });
  const subject = 'cdp.ingestion.event.accepted.v1.ws1.1';
  const add = (id: string): Promise<{ duplicate: boolean }> =>
    batching.add(subject, { id }, { messageId: id, workspaceId: 'ws1', schema: 'b' });
  const first = await Promise.all(['x1', 'x2', 'x3'].map(add));
  const retry = await Promise.all(['x1', 'x2', 'x3'].map(add));
  assert.equal(first[0]?.duplicate, false);
  assert.equal(retry[0]?.duplicate, true);
  assert.equal(await count('EVENTS', subject), 1);
});

void test('a failed batch publish rejects every add of the batch', async () => {
  const batching = new BatchingPublisher(publisher, { lingerMs: 2, timeoutMs: 1000 });
  const subject = 'cdp.nostream.event.accepted.v1.ws1'; // no stream captures it
  const adds = ['a', 'b', 'c'].map((id) =>
    batching.add(subject, { id }, { messageId: id, workspaceId: 'ws1', schema: 'b' }),
  );
  const settled = await Promise.allSettled(adds);
  assert.deepEqual(
    settled.map((s) => s.status),
    ['rejected', 'rejected', 'rejected'],
  );
  assert.equal(batching.pendingBytes, 0);
});

void test('beyond maxPendingBytes adds fail fast with a retryable unavailable error', async () => {
  const batching = new BatchingPublisher(publisher, { maxPendingBytes: 100, lingerMs: 50 });
  const subject = 'cdp.ingestion.event.accepted.v1.ws1.2';
  const ok = batching.add(
    subject,
    { pad: 'x'.repeat(60) },
    { messageId: 'f1', workspaceId: 'ws1', schema: 'b' },
  );
  await assert.rejects(
    batching.add(
      subject,
      { pad: 'x'.repeat(60) },
      { messageId: 'f2', workspaceId: 'ws1', schema: 'b' },
    ),
    (e: unknown) =>
      e instanceof DomainError &&
      e.kind === 'unavailable' &&
      e.retryable &&
      e.retryAfterSeconds === 1,
  );
  await ok;
  await batching.close();
});
