import { startTestPlatform, type PublishedMessage, type TestPlatform } from '@cdp/runtime';
import type { ClickHouseClient } from '@cdp/persistence';
import type { DataSource } from 'typeorm';
import { crmService } from '../../src/crm.service-definition';

export type { TestTenant } from '@cdp/runtime';

/** A message the service published, as a subscriber saw it (subject without namespace). */
export type Published = PublishedMessage<Record<string, unknown>>;

export interface CrmHarness extends TestPlatform {
  readonly postgres: DataSource;
  readonly clickhouse: ClickHouseClient;
  /** Every message published on `cdp.crm.>` since the harness started. */
  readonly published: Published[];
  /** Publishes a contract message the way another service does (JetStream, platform headers). */
  publish(
    subject: string,
    workspaceId: string,
    payload: unknown,
    messageId: string,
    schema: string,
  ): Promise<void>;
  /** JSON call with the admin key of the default tenant (or `key`); returns status, body, headers. */
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    init?: { key?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: T; headers: Headers }>;
  eventually<T>(
    check: () => Promise<T | undefined> | T | undefined,
    timeoutMs?: number,
  ): Promise<T>;
}

/**
 * Boots the CRM in this process against the real NATS, Postgres and embedded ClickHouse, each
 * isolated for this test file (own database, NATS namespace, ClickHouse dir).
 */
export async function startCrm(label = 'crm'): Promise<CrmHarness> {
  const base = await startTestPlatform([crmService], { label });
  const { platform } = base;
  const infrastructure = platform.infrastructure;
  const service = infrastructure.services.find((s) => s.service === 'crm');
  if (!service || !infrastructure.clickhouse) throw new Error('crm infrastructure missing');
  const published = await base.recordPublished<Record<string, unknown>>('cdp.crm.>');

  return {
    ...base,
    postgres: service.postgres,
    clickhouse: infrastructure.clickhouse,
    published,
    async publish(subject, workspaceId, payload, messageId, schema) {
      const result = await infrastructure.publisher.publish(subject, payload, {
        messageId,
        workspaceId,
        schema,
      });
      if (result.duplicate) throw new Error(`JetStream deduplicated ${messageId}`);
    },
    async call(method, path, body, init = {}) {
      const response = await base.api(path, {
        method,
        ...(body === undefined
          ? {}
          : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
        ...(init.key ? { key: init.key } : {}),
        ...(init.headers ? { headers: init.headers } : {}),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: (text ? JSON.parse(text) : {}) as never,
        headers: response.headers,
      };
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

/** A sales pipeline: three open stages, won and lost. */
export const SALES_STAGES = [
  { id: 'qualify', name: 'Qualify', probability: 10 },
  { id: 'proposal', name: 'Proposal', probability: 50 },
  { id: 'negotiation', name: 'Negotiation', probability: 80 },
  { id: 'won', name: 'Won', kind: 'won' },
  { id: 'lost', name: 'Lost', kind: 'lost' },
];
