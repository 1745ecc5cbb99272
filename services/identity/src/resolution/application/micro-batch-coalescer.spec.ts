import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MicroBatchCoalescer } from './micro-batch-coalescer';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test('callers queued during a run are resolved together in the next run, each with its slice', async () => {
  const runs: number[][] = [];
  const coalescer = new MicroBatchCoalescer<number, number>(
    async (_key, items) => {
      runs.push([...items]);
      await tick();
      return items.map((i) => i * 10);
    },
    { maxItems: 100, maxParallel: 1 },
  );
  const results = await Promise.all([
    coalescer.submit('ws', [1]),
    coalescer.submit('ws', [2, 3]),
    coalescer.submit('ws', [4]),
    coalescer.submit('other', [5]),
  ]);
  assert.deepEqual(results, [[10], [20, 30], [40], [50]]);
  assert.deepEqual(runs, [[1], [5], [2, 3, 4]], 'the first runs alone, the rest together');
});

test('runs are capped at maxItems but always take one caller', async () => {
  const sizes: number[] = [];
  const coalescer = new MicroBatchCoalescer<number, number>(
    async (_key, items) => {
      sizes.push(items.length);
      await tick();
      return items;
    },
    { maxItems: 3, maxParallel: 1 },
  );
  await Promise.all([
    coalescer.submit('ws', [1]),
    coalescer.submit('ws', [1, 1, 1, 1, 1]),
    coalescer.submit('ws', [1, 1]),
    coalescer.submit('ws', [1]),
  ]);
  assert.deepEqual(sizes, [1, 5, 3]);
});

test('overlapping runs deliver in submission order', async () => {
  const order: string[] = [];
  let call = 0;
  const coalescer = new MicroBatchCoalescer<string, string>(
    async (_key, items) => {
      // The first run is the slowest.
      const wait = call++ === 0 ? 5 : 0;
      for (let i = 0; i < wait; i++) await tick();
      return items;
    },
    { maxItems: 1, maxParallel: 2 },
  );
  await Promise.all(
    ['a', 'b', 'c'].map((x) => coalescer.submit('ws', [x]).then(() => order.push(x))),
  );
  assert.deepEqual(order, ['a', 'b', 'c']);
});

test('a failing run is retried caller by caller: only the poison caller fails', async () => {
  const coalescer = new MicroBatchCoalescer<string, string>(
    async (_key, items) => {
      await tick();
      if (items.includes('poison')) throw new Error('poison');
      return items;
    },
    { maxItems: 100, maxParallel: 1 },
  );
  const first = coalescer.submit('ws', ['first']);
  const settled = await Promise.allSettled([
    coalescer.submit('ws', ['ok']),
    coalescer.submit('ws', ['poison']),
    coalescer.submit('ws', ['fine']),
  ]);
  assert.deepEqual(await first, ['first']);
  assert.deepEqual(
    settled.map((s) => s.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
});

test('overlapping runs enter their ordered step one after the other, in submission order', async () => {
  const log: string[] = [];
  const coalescer = new MicroBatchCoalescer<string, string>(
    async (_key, items, turn) => {
      const name = items.join('');
      log.push(`prepare ${name}`);
      await turn.ready();
      log.push(`lock ${name}`);
      // The first run holds its "locks" a while before passing its turn.
      if (name === 'a') for (let i = 0; i < 5; i++) await tick();
      turn.pass();
      return items;
    },
    { maxItems: 1, maxParallel: 2 },
  );
  await Promise.all([coalescer.submit('ws', ['a']), coalescer.submit('ws', ['b'])]);
  assert.deepEqual(log, ['prepare a', 'prepare b', 'lock a', 'lock b']);
  assert.ok(log.indexOf('lock b') > log.indexOf('lock a'));
});
