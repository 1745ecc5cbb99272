import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '@cdp/contracts';
import type { IngestionConfig } from '../../config/ingestion.env';
import type { DebuggerEntry, EventDebugger } from '../../debugger/application/event-debugger.port';
import type { AcceptedEvent } from '../../events/domain/accepted-event';
import type {
  PlanVerdict,
  PlannedEvent,
  TrackingPlanChecker,
} from '../../tracking-plans/application/tracking-plan-checker.port';
import type {
  AcceptedEventSink,
  CollectionMetrics,
  PartitionedEvent,
} from './accepted-event-sink.port';
import { CollectEventsUseCase } from './collect-events.use-case';

class FakeSink implements AcceptedEventSink {
  readonly stored: { event: AcceptedEvent; partition: number }[] = [];
  fail = false;
  publishAll(events: readonly PartitionedEvent[]): Promise<void> {
    if (this.fail) return Promise.reject(new Error('nats down'));
    this.stored.push(...events);
    return Promise.resolve();
  }
}
class FakeDebugger implements EventDebugger {
  readonly entries: DebuggerEntry[] = [];
  record(_w: string, _s: string, entry: DebuggerEntry): void {
    this.entries.push(entry);
  }
}
class FakeMetrics implements CollectionMetrics {
  readonly counts: Record<string, number> = {};
  accepted(n: number): void {
    this.counts.accepted = (this.counts.accepted ?? 0) + n;
  }
  rejected(reason: string, n: number): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + n;
  }
  requestSize(): void {}
}

const config = { INGEST_MAX_EVENT_BYTES: 32 * 1024, INGEST_PARTITIONS: 16 } as IngestionConfig;
const source = {
  workspaceId: 'ws',
  sourceId: 'src',
  writeKeyId: 'wk',
  sourceKind: 'server',
} as const;

function setup(
  verdict: (e: PlannedEvent) => PlanVerdict | Promise<PlanVerdict> = () => ({ action: 'allow' }),
) {
  const sink = new FakeSink();
  const debug = new FakeDebugger();
  const metrics = new FakeMetrics();
  const plans: TrackingPlanChecker = { check: (_w, _s, e) => verdict(e) };
  return {
    sink,
    debug,
    metrics,
    collector: new CollectEventsUseCase(sink, plans, debug, metrics, config),
  };
}

test('valid events are published partitioned by person; invalid ones are reported by index', async () => {
  const { sink, debug, metrics, collector } = setup();
  const result = await collector.collect(source, [
    { type: 'track', anonymousId: 'a', event: 'E', messageId: 'm1' },
    { type: 'track', event: 'E' },
    { type: 'alias', userId: 'u', previousId: 'p', messageId: 'm3' },
  ]);
  assert.deepEqual(result.accepted, ['m1', 'm3']);
  assert.deepEqual(result.rejected, [
    { index: 1, errors: [{ field: 'userId', message: 'userId or anonymousId is required' }] },
  ]);
  assert.equal(sink.stored.length, 2);
  for (const { partition } of sink.stored) assert.ok(partition >= 0 && partition < 16);
  assert.deepEqual(debug.entries.map((e) => e.status).sort(), ['accepted', 'accepted', 'rejected']);
  assert.deepEqual(metrics.counts, { accepted: 2, invalid: 1 });
});

test('tracking plan: flag keeps the event with violations, block rejects with them', async () => {
  const { sink, collector } = setup((e) =>
    e.event === 'Flag'
      ? { action: 'flag', violations: [{ path: 'properties.x', message: 'unexpected' }] }
      : e.event === 'Block'
        ? Promise.resolve({
            action: 'block',
            violations: [{ path: 'event', message: 'not planned' }],
          })
        : { action: 'allow' },
  );
  const result = await collector.collect(source, [
    { type: 'track', userId: 'u', event: 'Flag' },
    { type: 'track', userId: 'u', event: 'Block' },
  ]);
  assert.equal(result.accepted.length, 1);
  assert.deepEqual(sink.stored[0]?.event.violations, [
    { path: 'properties.x', message: 'unexpected' },
  ]);
  assert.deepEqual(result.rejected, [
    { index: 1, errors: [{ field: 'event', message: 'tracking plan: not planned' }] },
  ]);
});

test('a failed publish fails the whole call with a retryable unavailable error, and nothing is recorded as accepted', async () => {
  const { sink, debug, metrics, collector } = setup();
  sink.fail = true;
  await assert.rejects(
    collector.collect(source, [{ type: 'identify', userId: 'u' }]),
    (e: unknown) =>
      e instanceof DomainError && e.kind === 'unavailable' && e.retryAfterSeconds !== undefined,
  );
  assert.equal(debug.entries.length, 0);
  assert.deepEqual(metrics.counts, { unavailable: 1 });
});

test('a bad batch-level field fails the request naming it', async () => {
  const { collector } = setup();
  await assert.rejects(
    collector.collect(source, [{ type: 'identify', userId: 'u' }], { context: [1], sentAt: 5 }),
    (e: unknown) => e instanceof DomainError && e.kind === 'invalid' && /^context:/.test(e.message),
  );
});
