import { jetstreamManager } from '@nats-io/jetstream';
import type { ClickHouseClient } from '@cdp/persistence';
import { SUBJECTS } from '@cdp/contracts';
import {
  ACCEPTED_EVENT_BATCH_SCHEMA,
  type AcceptedEvent,
} from '../../src/events/domain/accepted-event';
import type { IngestionHarness } from '../support/harness';

let counter = 0;

/** An accepted event as collection publishes it. */
export function acceptedEvent(
  workspaceId: string,
  over: Partial<AcceptedEvent> = {},
): AcceptedEvent {
  counter++;
  return {
    type: 'track',
    messageId: `msg-${process.pid}-${Date.now()}-${counter}`,
    workspaceId,
    sourceId: 'src-1',
    writeKeyId: 'wk-1',
    anonymousId: `anon-${counter % 7}`,
    event: 'Product Viewed',
    properties: { sku: `sku-${counter}`, price: 10 },
    context: { ip: '10.0.0.1' },
    timestamp: '2025-03-04T05:06:07.089Z',
    receivedAt: '2025-03-04T05:06:08.000Z',
    ...over,
  };
}

/** Publishes `{ items }` on the accepted-event subject, the way collection does. */
export async function publishBatch(
  harness: IngestionHarness,
  items: readonly unknown[],
  options: { workspaceId?: string; messageId?: string; partition?: number } = {},
): Promise<void> {
  const workspaceId = options.workspaceId ?? harness.tenant.workspaceId;
  const result = await harness.platform.infrastructure.publisher.publish(
    `${SUBJECTS.eventAccepted}.${workspaceId}.${options.partition ?? 0}`,
    { items },
    {
      messageId: options.messageId ?? `batch-${Date.now()}-${++counter}`,
      workspaceId,
      schema: ACCEPTED_EVENT_BATCH_SCHEMA,
    },
  );
  if (result.duplicate) throw new Error('JetStream deduplicated the test batch');
}

export function clickhouseOf(harness: IngestionHarness): ClickHouseClient {
  const client = harness.platform.infrastructure.clickhouse;
  if (!client) throw new Error('no ClickHouse');
  return client;
}

export async function rows<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

export async function count(
  client: ClickHouseClient,
  where = '1',
  params: Record<string, unknown> = {},
): Promise<number> {
  const [row] = await rows<{ n: number | string }>(
    client,
    `SELECT count() AS n FROM events WHERE ${where}`,
    params,
  );
  return Number(row?.n ?? 0);
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until the writer's durable consumer has nothing pending or unacked. */
export async function waitDrained(harness: IngestionHarness, timeoutMs = 15_000): Promise<void> {
  const jsm = await jetstreamManager(harness.platform.infrastructure.nats);
  const stream = harness.platform.infrastructure.namespace.stream('EVENTS');
  await waitFor(
    'the event-writer consumer to drain',
    async () => {
      const info = await jsm.consumers.info(stream, 'event-writer');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    timeoutMs,
  );
}
