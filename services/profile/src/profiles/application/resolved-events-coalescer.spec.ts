import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type ApplyResolvedEventsCommand,
  type ApplyResolvedEventsResult,
} from './apply-resolved-events.use-case';
import { ResolvedEventsCoalescer } from './resolved-events-coalescer';

const event = (id: string) => ({
  type: 'page',
  messageId: id,
  timestamp: '2025-01-01T00:00:00Z',
  profileId: 'p',
});
const done: ApplyResolvedEventsResult = { applied: 0, duplicates: 0, updates: [] };

test('applies at once when idle, groups waiting messages per workspace under load', async () => {
  const calls: ApplyResolvedEventsCommand[] = [];
  const gates: (() => void)[] = [];
  const coalescer = new ResolvedEventsCoalescer(
    (command) => {
      calls.push(command);
      return new Promise((resolve) => gates.push(() => resolve(done)));
    },
    { maxEvents: 3, maxTransactions: 1 },
  );
  const first = coalescer.submit({ workspaceId: 'a', events: [event('1')] });
  const waiting = [
    coalescer.submit({ workspaceId: 'a', events: [event('2')] }),
    coalescer.submit({ workspaceId: 'b', events: [event('3')] }),
    coalescer.submit({ workspaceId: 'a', events: [event('4'), event('5')] }),
    coalescer.submit({ workspaceId: 'a', events: [event('6')] }),
  ];
  assert.equal(calls.length, 1, 'the first message did not wait');
  gates.shift()?.();
  await first;
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    calls[1]?.events.map((e) => e.messageId),
    ['2', '4', '5'],
    'workspace a: as many waiting messages as fit in maxEvents',
  );
  for (let i = 0; i < 3; i++) {
    gates.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(waiting);
  assert.deepEqual(
    calls.map((c) => [c.workspaceId, c.events.map((e) => e.messageId).join(',')]),
    [
      ['a', '1'],
      ['a', '2,4,5'],
      ['b', '3'],
      ['a', '6'],
    ],
  );
});

test('a failed transaction fails every message it carried (they are redelivered)', async () => {
  const coalescer = new ResolvedEventsCoalescer(() => Promise.reject(new Error('deadlock')), {
    maxEvents: 10,
    maxTransactions: 1,
  });
  await assert.rejects(coalescer.submit({ workspaceId: 'a', events: [event('1')] }), /deadlock/);
});
