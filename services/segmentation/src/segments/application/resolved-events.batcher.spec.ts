import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RealtimeInputsUseCase, type ResolvedEventInput } from './realtime-inputs.use-case';
import { ResolvedEventsBatcher } from './resolved-events.batcher';

function event(id: string): ResolvedEventInput {
  return {
    profileId: `p-${id}`,
    messageId: id,
    type: 'track',
    event: 'E',
    userId: '',
    anonymousId: '',
    properties: {},
    timestamp: 0,
  };
}

/** Records each group it is asked to apply; fails the groups containing message "bad". */
function fakeInputs(groups: { ws: string; ids: string[] }[]): RealtimeInputsUseCase {
  return {
    resolvedEvents(ws: string, events: readonly ResolvedEventInput[]) {
      groups.push({ ws, ids: events.map((e) => e.messageId) });
      return events.some((e) => e.messageId === 'bad')
        ? Promise.reject(new Error('database down'))
        : Promise.resolve({ entered: 0, exited: 0 });
    },
  } as unknown as RealtimeInputsUseCase;
}

void describe('ResolvedEventsBatcher', () => {
  void it('applies the messages that arrive together in one group per workspace', async () => {
    const groups: { ws: string; ids: string[] }[] = [];
    const batcher = new ResolvedEventsBatcher(fakeInputs(groups), { maxEvents: 100, maxWaitMs: 5 });
    await Promise.all([
      batcher.submit('a', [event('1'), event('2')]),
      batcher.submit('b', [event('3')]),
      batcher.submit('a', [event('4')]),
    ]);
    assert.deepEqual(
      groups.sort((x, y) => x.ws.localeCompare(y.ws)),
      [
        { ws: 'a', ids: ['1', '2', '4'] },
        { ws: 'b', ids: ['3'] },
      ],
    );
  });

  void it('flushes at maxEvents without waiting, and fails every message of a failed group', async () => {
    const groups: { ws: string; ids: string[] }[] = [];
    const batcher = new ResolvedEventsBatcher(fakeInputs(groups), {
      maxEvents: 2,
      maxWaitMs: 60_000,
    });
    const first = batcher.submit('a', [event('1')]);
    const second = batcher.submit('a', [event('bad')]);
    await assert.rejects(first, /database down/);
    await assert.rejects(second, /database down/);
    await batcher.submit('a', [event('5'), event('6')]);
    assert.deepEqual(
      groups.map((g) => g.ids),
      [
        ['1', 'bad'],
        ['5', '6'],
      ],
    );
  });
});
