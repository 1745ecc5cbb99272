import { startTestPlatform, type PublishedMessage, type TestPlatform } from '@cdp/runtime';
import { SUBJECTS } from '@cdp/contracts';
import type { ClickHouseClient } from '@cdp/persistence';
import type { DataSource } from 'typeorm';
import { identityService } from '../../src/identity.service-definition';

export type { TestTenant } from '@cdp/runtime';

/** A message the service published, as a subscriber saw it (subject without namespace). */
export type Published = PublishedMessage;

export interface IdentityHarness extends TestPlatform {
  readonly postgres: DataSource;
  readonly clickhouse: ClickHouseClient;
  /** Every message published on `cdp.identity.>` since the harness started. */
  readonly published: Published[];
  /** Publishes `{ items }` on the accepted-event subject, the way ingestion does. */
  publishAccepted(
    workspaceId: string,
    items: readonly unknown[],
    options?: { partition?: number; messageId?: string },
  ): Promise<void>;
  /** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes. */
  eventually<T>(
    check: () => Promise<T | undefined> | T | undefined,
    timeoutMs?: number,
  ): Promise<T>;
}

let batches = 0;

/**
 * Boots the identity service in this process against the real NATS, Postgres and embedded
 * ClickHouse, each isolated for this test file (own database, NATS namespace, ClickHouse dir).
 */
export async function startIdentity(env: Record<string, string> = {}): Promise<IdentityHarness> {
  const base = await startTestPlatform([identityService], { label: 'identity', env });
  const { platform } = base;
  const infrastructure = platform.infrastructure;
  const service = infrastructure.services.find((s) => s.service === 'identity');
  if (!service || !infrastructure.clickhouse) throw new Error('identity infrastructure missing');
  const published = await base.recordPublished('cdp.identity.>');

  return {
    ...base,
    postgres: service.postgres,
    clickhouse: infrastructure.clickhouse,
    published,
    async publishAccepted(workspaceId, items, options = {}) {
      const result = await infrastructure.publisher.publish(
        `${SUBJECTS.eventAccepted}.${workspaceId}.${options.partition ?? 0}`,
        { items },
        {
          messageId: options.messageId ?? `batch-${process.pid}-${++batches}`,
          workspaceId,
          schema: 'cdp.ingestion.v1.EventBatch',
        },
      );
      if (result.duplicate) throw new Error('JetStream deduplicated the test batch');
    },
    async eventually(check, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await check();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async close() {
      await base.close();
    },
  };
}

let events = 0;

/** An accepted event as ingestion publishes it (canonical JSON of cdp.ingestion.v1.Event). */
export function acceptedEvent(
  workspaceId: string,
  fields: Record<string, unknown> & { type: string },
): Record<string, unknown> & { messageId: string } {
  events++;
  return {
    messageId: `msg-${process.pid}-${Date.now()}-${events}`,
    workspaceId,
    sourceId: 'src_web',
    writeKeyId: 'wk_1',
    timestamp: new Date(Date.UTC(2025, 0, 1) + events * 3_600_000).toISOString(),
    receivedAt: new Date(Date.UTC(2025, 0, 1) + events * 3_600_000 + 500).toISOString(),
    ...fields,
  };
}
