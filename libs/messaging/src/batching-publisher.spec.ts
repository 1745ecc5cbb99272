import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BatchingPublisher, batchBodyBytes, batchMessageId } from './batching-publisher';
import type { EventPublisher, PublishOptions, PublishResult } from './event-publisher';

/** The original per-id hashing: ids must not change across versions (dedup on retry/deploy). */
function referenceBatchId(subject: string, ids: readonly string[]): string {
  const h = createHash('sha256').update(`${subject.length}:${subject}`);
  for (const id of ids) h.update(`${id.length}:${id}`);
  return `batch-${h.digest('hex').slice(0, 32)}`;
}

void test('batch ids are deterministic from subject and item ids', () => {
  const a = batchMessageId('cdp.ingestion.event.accepted.v1.ws.0', ['e1', 'e2']);
  assert.equal(a, batchMessageId('cdp.ingestion.event.accepted.v1.ws.0', ['e1', 'e2']));
  assert.notEqual(a, batchMessageId('cdp.ingestion.event.accepted.v1.ws.0', ['e1', 'e3']));
  assert.notEqual(a, batchMessageId('cdp.ingestion.event.accepted.v1.ws.1', ['e1', 'e2']));
  assert.notEqual(batchMessageId('s', ['a\nb']), batchMessageId('s', ['a', 'b']));
  assert.notEqual(batchMessageId('s', ['ab']), batchMessageId('s', ['a', 'b']));
  assert.match(a, /^batch-[0-9a-f]{32}$/);
});

void test('body size accounts for envelope and commas', () => {
  assert.equal(batchBodyBytes([3, 4]), '{"items":[aaa,bbbb]}'.length);
  assert.equal(batchBodyBytes([]), '{"items":[]}'.length);
});

void test('batch ids are the same bytes as the per-id hashing (stable across versions)', () => {
  const ids = ['e1', 'é-ü-😀', '', 'x'.repeat(300)];
  assert.equal(batchMessageId('s.ws.3', ids), referenceBatchId('s.ws.3', ids));
  assert.equal(batchMessageId('s', []), referenceBatchId('s', []));
});

void test('a flushed batch carries the JSON of its items in order and the id of their ids', async () => {
  const sent: { subject: string; body: string; options: PublishOptions }[] = [];
  const fake = {
    publishRaw(subject: string, body: Uint8Array, options: PublishOptions) {
      sent.push({ subject, body: new TextDecoder().decode(body), options });
      return Promise.resolve({ stream: 'S', seq: sent.length, duplicate: false } as PublishResult);
    },
  } as unknown as EventPublisher;
  const batching = new BatchingPublisher(fake, { maxItems: 2, lingerMs: 1000 });
  const items = [
    { item: { a: 1, s: 'é' }, messageId: 'm1' },
    { item: { b: [true, null] }, messageId: 'm2' },
    { item: 'third', messageId: 'm3' },
  ];
  const done = batching.addMany('subj', items, { workspaceId: 'ws', schema: 'x.v1' });
  await batching.flush();
  await done;
  assert.deepEqual(
    sent.map((m) => [m.subject, m.body, m.options.messageId]),
    [
      [
        'subj',
        '{"items":[{"a":1,"s":"é"},{"b":[true,null]}]}',
        referenceBatchId('subj', ['m1', 'm2']),
      ],
      ['subj', '{"items":["third"]}', referenceBatchId('subj', ['m3'])],
    ],
  );
  assert.equal(batching.pendingBytes, 0);
});

void test('an item given as JSON is published as given, and its byte count sizes the batch', async () => {
  const sent: string[] = [];
  const fake = {
    publishRaw(_subject: string, body: Uint8Array) {
      sent.push(new TextDecoder().decode(body));
      return Promise.resolve({ stream: 'S', seq: sent.length, duplicate: false } as PublishResult);
    },
  } as unknown as EventPublisher;
  // 40 bytes per batch: the envelope (12) + two 10-byte items + a comma fit, a third does not.
  const batching = new BatchingPublisher(fake, { maxItems: 100, maxBytes: 40, lingerMs: 1000 });
  const json = '{ "a" : 1 }'; // not what JSON.stringify would write for `item`
  const items = ['m1', 'm2', 'm3'].map((messageId) => ({
    item: { ignored: true },
    messageId,
    json,
    bytes: 10,
  }));
  const done = batching.addMany('subj', items, { workspaceId: 'ws', schema: 'x.v1' });
  assert.equal(batching.pendingBytes, 30, 'pending bytes are the given byte counts');
  await batching.flush();
  await done;
  assert.deepEqual(sent, [`{"items":[${json},${json}]}`, `{"items":[${json}]}`]);
});

void test('addRouted: one promise over several subjects, one batch per subject, rejected if any fails', async () => {
  const sent: { subject: string; body: string; id: string }[] = [];
  const fake = {
    publishRaw(subject: string, body: Uint8Array, options: PublishOptions) {
      sent.push({ subject, body: new TextDecoder().decode(body), id: options.messageId ?? '' });
      if (subject === 'bad') return Promise.reject(new Error('no PubAck'));
      return Promise.resolve({ stream: 'S', seq: sent.length, duplicate: false } as PublishResult);
    },
  } as unknown as EventPublisher;
  const batching = new BatchingPublisher(fake, { lingerMs: 1000 });
  const opts = { workspaceId: 'ws', schema: 'x.v1' };
  const ok = batching.addRouted(
    [
      { subject: 'a', item: 1, messageId: 'm1' },
      { subject: 'b', item: 2, messageId: 'm2' },
      { subject: 'a', item: 3, messageId: 'm3' },
    ],
    opts,
  );
  await batching.flush();
  await ok;
  assert.deepEqual(
    sent.map((m) => [m.subject, m.body, m.id]),
    [
      ['a', '{"items":[1,3]}', referenceBatchId('a', ['m1', 'm3'])],
      ['b', '{"items":[2]}', referenceBatchId('b', ['m2'])],
    ],
  );
  const failing = batching.addRouted(
    [
      { subject: 'a', item: 4, messageId: 'm4' },
      { subject: 'bad', item: 5, messageId: 'm5' },
    ],
    opts,
  );
  await batching.flush();
  await assert.rejects(failing, /no PubAck/);
  assert.equal(batching.pendingBytes, 0);
});

void test('addRouted: batches of every subject are published by the linger timer alone', async () => {
  const subjects: string[] = [];
  const fake = {
    publishRaw(subject: string) {
      subjects.push(subject);
      return Promise.resolve({
        stream: 'S',
        seq: subjects.length,
        duplicate: false,
      } as PublishResult);
    },
  } as unknown as EventPublisher;
  const batching = new BatchingPublisher(fake, { lingerMs: 5 });
  await batching.addRouted(
    [
      { subject: 'a', item: 1, messageId: 'm1' },
      { subject: 'b', item: 2, messageId: 'm2' },
      { subject: 'c', item: 3, messageId: 'm3' },
    ],
    { workspaceId: 'ws', schema: 'x.v1' },
  );
  assert.deepEqual(subjects.sort(), ['a', 'b', 'c']);
});
