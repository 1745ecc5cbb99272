import { startTestPlatform, type PublishedMessage, type TestPlatform } from '@cdp/runtime';
import { eventSubject, SUBJECTS } from '@cdp/contracts';
import type { ServiceDefinition } from '@cdp/runtime';
import type { ClickHouseClient } from '@cdp/persistence';
import type { DataSource } from 'typeorm';
import { profileService } from '../../src/profile.service-definition';

/** A message published on the platform, as a subscriber saw it (subject without namespace). */
export type Published = PublishedMessage;

export interface ProfileHarness extends TestPlatform {
  readonly postgres: DataSource;
  readonly clickhouse: ClickHouseClient;
  /** Every message published on `cdp.profile.>` and `cdp.identity.>` since start. */
  readonly published: Published[];
  /** Publishes a payload on an IDENTITY subject, the way identity does. */
  publishIdentity(
    subject: string,
    workspaceId: string,
    payload: unknown,
    options: { messageId: string; schema: string },
  ): Promise<void>;
  /** Publishes `{ items }` on the resolved-event subject (each item gets the workspace). */
  publishResolved(
    workspaceId: string,
    items: readonly Record<string, unknown>[],
    options?: { messageId?: string; partition?: number },
  ): Promise<void>;
  /** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes. */
  eventually<T>(
    check: () => Promise<T | undefined> | T | undefined,
    timeoutMs?: number,
  ): Promise<T>;
  /** GET as JSON with the admin key; throws on a status other than `expected`. */
  getJson<T>(path: string, expected?: number, key?: string): Promise<T>;
}

let batches = 0;

/**
 * Boots the profile service (and, for story tests, the upstream services) in this process
 * against the real NATS, Postgres and embedded ClickHouse, isolated for this test file.
 */
export async function startProfile(
  options: { upstream?: readonly ServiceDefinition[]; env?: Record<string, string> } = {},
): Promise<ProfileHarness> {
  const base = await startTestPlatform([...(options.upstream ?? []), profileService], {
    label: 'profile',
    env: options.env ?? {},
  });
  const infrastructure = base.platform.infrastructure;
  const service = infrastructure.services.find((s) => s.service === 'profile');
  if (!service || !infrastructure.clickhouse) throw new Error('profile infrastructure missing');
  const published = await base.recordPublished('cdp.profile.>', 'cdp.identity.>');

  const harness: ProfileHarness = {
    ...base,
    postgres: service.postgres,
    clickhouse: infrastructure.clickhouse,
    published,
    async publishIdentity(subject, workspaceId, payload, { messageId, schema }) {
      const result = await infrastructure.publisher.publish(subject, payload, {
        messageId,
        workspaceId,
        schema,
      });
      if (result.duplicate) throw new Error('JetStream deduplicated the test message');
    },
    async publishResolved(workspaceId, items, { messageId, partition } = {}) {
      await harness.publishIdentity(
        eventSubject(SUBJECTS.eventResolved, workspaceId, partition ?? 0),
        workspaceId,
        { items: items.map((item) => ({ workspaceId, ...item })) },
        {
          messageId: messageId ?? `resolved-${process.pid}-${++batches}`,
          schema: 'cdp.identity.v1.ResolvedEventBatch',
        },
      );
    },
    async eventually(check, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await check();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async getJson<T>(path: string, expected = 200, key?: string): Promise<T> {
      const response = await base.api(path, key === undefined ? {} : { key });
      const text = await response.text();
      if (response.status !== expected)
        throw new Error(`GET ${path}: ${response.status} (expected ${expected}) ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async close() {
      await base.close();
    },
  };
  return harness;
}

let events = 0;

/** A resolved event as identity publishes it (accepted event + profileId). */
export function resolvedEvent(
  profileId: string,
  fields: Record<string, unknown> & { type: string },
): Record<string, unknown> & { messageId: string } {
  events++;
  return {
    messageId: `msg-${process.pid}-${Date.now()}-${events}`,
    sourceId: 'src_web',
    writeKeyId: 'wk_1',
    timestamp: new Date(Date.UTC(2025, 0, 1) + events * 3_600_000).toISOString(),
    profileId,
    ...fields,
  };
}

/** The profile view of the API. */
export interface ProfileBody {
  id: string;
  version: number;
  traits: Record<string, unknown>;
  provenance: Record<string, { sourceType: string; sourceId: string; observedAt: string }>;
  computed: Record<string, unknown>;
}
