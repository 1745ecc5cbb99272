import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyOf, type EventRow, type MessageKey } from '../domain/event-row';
import { RowsRefusedError, type ClaimRecord, type EventStore } from './event-store.port';
import { EventsRefusedError } from './events-refused.error';
import { WriteEventsUseCase } from './write-events.use-case';

/** In-memory EventStore with a manual server clock; `failOn` makes one step throw once. */
class FakeStore implements EventStore {
  claims: ClaimRecord[] = [];
  events: EventRow[] = [];
  clockMs = Date.parse('2025-01-01T00:00:00Z');
  failOn: 'insertEvents' | 'commit' | undefined;
  /** Rows the store refuses (a statement holding one fails; with `landsPartly` rows before it land). */
  refuses: (row: EventRow) => boolean = () => false;
  landsPartly = false;
  /** Every insertEvents call: its id and row count. */
  inserts: { id: string; rows: number }[] = [];
  /** Makes every insertEvents call fail like an unreachable server. */
  unreachable = false;
  private stamp(): string {
    this.clockMs += 1;
    return new Date(this.clockMs).toISOString().replace('T', ' ').replace('Z', '000');
  }
  claim(flushId: string, keys: readonly MessageKey[]): Promise<void> {
    const at = this.stamp();
    for (const k of keys) this.claims.push({ ...k, flushId, claimedAt: at, committed: false });
    return Promise.resolve();
  }
  readClaims(keys: readonly MessageKey[]) {
    const wanted = new Set(keys.map((k) => `${k.workspaceId}\u0000${k.messageId}`));
    const merged = new Map<string, ClaimRecord>();
    for (const c of this.claims.filter((c) => wanted.has(`${c.workspaceId}\u0000${c.messageId}`))) {
      const id = `${c.workspaceId}|${c.messageId}|${c.flushId}`;
      const prev = merged.get(id);
      merged.set(id, prev ? { ...prev, committed: prev.committed || c.committed } : c);
    }
    return Promise.resolve({ now: this.stamp(), claims: [...merged.values()] });
  }
  existingEvents(keys: readonly MessageKey[]): Promise<ReadonlySet<string>> {
    const have = new Set(this.events.map(keyOf));
    return Promise.resolve(
      new Set(
        keys
          .map((k) => keyOf({ workspace_id: k.workspaceId, message_id: k.messageId }))
          .filter((k) => have.has(k)),
      ),
    );
  }
  insertEvents(insertId: string, rows: readonly EventRow[]): Promise<void> {
    this.inserts.push({ id: insertId, rows: rows.length });
    if (this.unreachable) return Promise.reject(new Error('connect ECONNREFUSED'));
    const bad = rows.findIndex(this.refuses);
    if (bad >= 0) {
      if (this.landsPartly) this.events.push(...rows.slice(0, bad));
      const cause = new Error(`Cannot parse JSON object here: row ${rows[bad]?.message_id}`);
      return Promise.reject(new RowsRefusedError(cause.message, { cause }));
    }
    this.events.push(...rows);
    if (this.failOn === 'insertEvents') {
      this.failOn = undefined;
      return Promise.reject(new Error('lost reply after insert'));
    }
    return Promise.resolve();
  }
  commit(_flushId: string, claims: readonly ClaimRecord[]): Promise<void> {
    if (this.failOn === 'commit') {
      this.failOn = undefined;
      return Promise.reject(new Error('commit failed'));
    }
    this.claims.push(...claims.map((c) => ({ ...c, committed: true })));
    return Promise.resolve();
  }
}

const row = (messageId: string, workspaceId = 'ws', event = 'e'): EventRow => ({
  workspace_id: workspaceId,
  message_id: messageId,
  type: 'track',
  event,
  name: '',
  category: '',
  anonymous_id: 'a',
  user_id: '',
  group_id: '',
  previous_id: '',
  source_id: 's',
  write_key_id: 'k',
  timestamp: '2025-01-01 00:00:00.000',
  original_timestamp: null,
  sent_at: null,
  received_at: '2025-01-01 00:00:00.000',
  properties: {},
  traits: {},
  context: {},
  integrations: '{}',
  violations: [],
  raw: '{}',
});

const settings = { dedupWindowHours: 24, claimTimeoutMs: 60_000 };

void test('a flush writes each messageId once: first occurrence wins within the flush', async () => {
  const store = new FakeStore();
  const writer = new WriteEventsUseCase(store, settings);
  const result = await writer.execute('f1', [
    [row('1', 'ws', 'first'), row('2')],
    [row('1', 'ws', 'second'), row('1', 'other-ws')],
  ]);
  assert.equal(result.inserted, 3);
  assert.equal(result.duplicates, 1);
  assert.deepEqual(
    store.events.map((e) => [e.workspace_id, e.message_id, e.event]),
    [
      ['ws', '1', 'first'],
      ['ws', '2', 'e'],
      ['other-ws', '1', 'e'],
    ],
  );
});

void test('a redelivered batch after a committed flush writes nothing', async () => {
  const store = new FakeStore();
  const writer = new WriteEventsUseCase(store, settings);
  await writer.execute('f1', [[row('1'), row('2')]]);
  const again = await writer.execute('f2', [[row('2'), row('1'), row('3')]]);
  assert.deepEqual([again.inserted, again.duplicates, again.deferred], [1, 2, 0]);
  assert.equal(store.events.length, 3);
});

void test('a flush that failed after inserting is completed, not duplicated, on redelivery', async () => {
  const store = new FakeStore();
  const writer = new WriteEventsUseCase(store, settings);
  store.failOn = 'insertEvents'; // rows landed, the reply was lost
  await assert.rejects(writer.execute('f1', [[row('1')]]));
  const again = await writer.execute('f2', [[row('1'), row('2')]]);
  assert.deepEqual([again.inserted, again.duplicates], [1, 1]);
  assert.deepEqual(store.events.map((e) => e.message_id).sort(), ['1', '2']);
});

void test('a crashed flush (claims only, another process) is deferred until its claim times out', async () => {
  const store = new FakeStore();
  // Claims recorded, then the process died before inserting; a restarted process does not know
  // that flush, so it waits for the claim timeout before verifying against events.
  await store.claim('dead', [{ workspaceId: 'ws', messageId: '1' }]);
  const restarted = new WriteEventsUseCase(store, settings);
  const early = await restarted.execute('f2', [[row('1')], [row('9')]]);
  assert.equal(early.deferred, 1);
  assert.ok(early.failed[0], 'the batch holding the contested id is retried');
  assert.equal(early.failed[1], undefined, 'the other batch is durable');
  store.clockMs += 61_000;
  const later = await restarted.execute('f3', [[row('1')]]);
  assert.deepEqual([later.inserted, later.deferred], [1, 0]);
  assert.deepEqual(store.events.map((e) => e.message_id).sort(), ['1', '9']);
});

void test('a refused row is isolated by bisection: the others are stored once, its batch is dead-lettered', async () => {
  const store = new FakeStore();
  store.refuses = (r) => r.event === 'poison';
  const writer = new WriteEventsUseCase(store, settings);
  const batches = [
    [row('1'), row('2')],
    [row('3'), row('p1', 'ws', 'poison'), row('4')],
    [row('5'), row('6'), row('7')],
    [row('p2', 'ws', 'poison')],
  ];
  const result = await writer.execute('f1', batches);
  assert.deepEqual([result.inserted, result.refused], [7, 2]);
  assert.deepEqual(store.events.map((e) => e.message_id).sort(), [
    '1',
    '2',
    '3',
    '4',
    '5',
    '6',
    '7',
  ]);
  assert.equal(result.failed[0], undefined);
  assert.equal(result.failed[2], undefined);
  const refused = result.failed[1];
  assert.ok(refused instanceof EventsRefusedError);
  assert.equal(refused.retryable, false);
  assert.deepEqual(refused.messageIds, ['p1']);
  assert.match(refused.message, /messageId p1\): Cannot parse JSON object here/);
  assert.ok(refused.cause instanceof Error && !(refused.cause instanceof RowsRefusedError));
  assert.ok(result.failed[3] instanceof EventsRefusedError);
  // one statement first, then halves with their own dedup tokens
  assert.equal(store.inserts[0]?.id, 'f1:events');
  assert.equal(new Set(store.inserts.map((i) => i.id)).size, store.inserts.length);
  assert.ok(store.inserts.length <= 12, `${store.inserts.length} inserts`);
  // stored ids are committed (a redelivery drops them); refused ones stay uncommitted
  const again = await writer.execute('f2', [[row('3'), row('4')]]);
  assert.deepEqual([again.inserted, again.duplicates], [0, 2]);
  assert.ok(!store.claims.some((c) => c.messageId === 'p1' && c.committed));
});

void test('rows a refused statement stored partly are not inserted twice while isolating', async () => {
  const store = new FakeStore();
  store.refuses = (r) => r.event === 'poison';
  store.landsPartly = true;
  const writer = new WriteEventsUseCase(store, settings);
  const result = await writer.execute('f1', [
    [row('1'), row('2'), row('3'), row('p', 'ws', 'poison'), row('4'), row('5')],
  ]);
  assert.deepEqual([result.inserted, result.refused], [5, 1]);
  const ids = store.events.map((e) => e.message_id).sort();
  assert.deepEqual(ids, ['1', '2', '3', '4', '5']);
});

void test('a transient failure fails the whole flush: nothing is dead-lettered, everything retried', async () => {
  const store = new FakeStore();
  store.unreachable = true;
  const writer = new WriteEventsUseCase(store, settings);
  await assert.rejects(writer.execute('f1', [[row('1')], [row('2')]]), /ECONNREFUSED/);
  assert.equal(store.inserts.length, 1, 'no bisection on a transient error');
  store.unreachable = false;
  const again = await writer.execute('f2', [[row('1')], [row('2')]]);
  assert.deepEqual([again.inserted, again.refused], [2, 0]);
});

void test('isolation stops past half the claim timeout: the rest is retried, not dead-lettered', async () => {
  const store = new FakeStore();
  store.refuses = (r) => r.event === 'poison';
  let clock = 0;
  const writer = new WriteEventsUseCase(store, settings, () => clock);
  const insertEvents = store.insertEvents.bind(store);
  store.insertEvents = (id, rows) => {
    clock += 20_000; // every statement takes 20 s
    return insertEvents(id, rows);
  };
  const result = await writer.execute('f1', [[row('1')], [row('p', 'ws', 'poison')], [row('2')]]);
  assert.equal(result.refused, 0);
  assert.ok(result.failed.some((f) => f instanceof Error && !(f instanceof EventsRefusedError)));
  assert.ok(result.failed.every((f) => !(f instanceof EventsRefusedError)));
});
