import {
  ApiKeyService,
  BootstrapWorkspaceUseCase,
  LocalKeyChangeBus,
  systemClock,
  TypeOrmApiKeyRepository,
  TypeOrmWorkspaceRepository,
  WorkspaceService,
} from '@cdp/tenancy';
import {
  deleteNamespaceStreams,
  dropTestDatabase,
  missingDatabaseUrl,
  tempDir,
  TEST_NATS_URL,
  uniqueName,
} from '@cdp/testing';
import { startPlatform, type RunningPlatform } from './platform';
import type { ServiceDefinition } from './service-definition';

/** A message published on the platform, as a subscriber saw it (subject without namespace). */
export interface PublishedMessage<Body = unknown> {
  readonly subject: string;
  readonly msgId: string | undefined;
  readonly body: Body;
}

/** A workspace with an admin API key, to call management routes. */
export interface TestTenant {
  readonly workspaceId: string;
  readonly adminKey: string;
}

export interface TestPlatform {
  readonly url: string;
  readonly platform: RunningPlatform;
  /** NATS namespace of this run (subjects and streams are prefixed with it). */
  readonly namespace: string;
  readonly tenant: TestTenant;
  /** Another workspace, for isolation checks. */
  newTenant(name?: string): Promise<TestTenant>;
  /**
   * Records every message published from now on on the given subjects (without namespace, e.g.
   * `cdp.crm.>`), in arrival order, until `close`.
   */
  recordPublished<Body = unknown>(...subjects: string[]): Promise<PublishedMessage<Body>[]>;
  /** fetch against the platform with the admin key of `tenant` (or `key`). */
  api(path: string, init?: RequestInit & { key?: string }): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Boots services in the test process against the real NATS, Postgres and embedded ClickHouse,
 * isolated for one test file (its own database, NATS namespace and ClickHouse directory), with a
 * bootstrapped workspace. What every service's integration tests share; each service adds its
 * own helpers on top.
 */
export async function startTestPlatform(
  definitions: readonly ServiceDefinition[],
  options: { label: string; env?: Record<string, string> },
): Promise<TestPlatform> {
  const database = uniqueName(options.label);
  const namespace = uniqueName(options.label).replace(/_/g, '-');
  const platform = await startPlatform(definitions, {
    mode: 'standalone',
    port: 0,
    env: {
      ...process.env,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
      DATABASE_URL: missingDatabaseUrl(database),
      NATS_URL: TEST_NATS_URL,
      NATS_NAMESPACE: namespace,
      CLICKHOUSE_URL: `chdb://${tempDir(`cdp-${options.label}-ch-`)}`,
      ...options.env,
    },
  });
  const tenancy = platform.infrastructure.tenancy;
  const bootstrap = new BootstrapWorkspaceUseCase(
    new WorkspaceService(new TypeOrmWorkspaceRepository(tenancy), systemClock),
    new ApiKeyService(new TypeOrmApiKeyRepository(tenancy), new LocalKeyChangeBus(), systemClock),
  );
  const newTenant = async (name = uniqueName('ws')): Promise<TestTenant> => {
    const result = await bootstrap.execute({ name });
    return { workspaceId: result.workspace.id, adminKey: result.plaintext };
  };
  const tenant = await newTenant();
  const nats = platform.infrastructure.nats;
  const recordings: { unsubscribe(): void }[] = [];
  return {
    url: platform.url,
    platform,
    namespace,
    tenant,
    newTenant,
    api(path, init = {}) {
      const { key, headers, ...rest } = init;
      return fetch(`${platform.url}${path}`, {
        ...rest,
        headers: {
          authorization: `Bearer ${key ?? tenant.adminKey}`,
          ...(rest.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(headers as Record<string, string> | undefined),
        },
      });
    },
    async recordPublished<Body>(...subjects: string[]) {
      const published: PublishedMessage<Body>[] = [];
      const prefix = `${namespace}.`;
      for (const subject of subjects) {
        const subscription = nats.subscribe(`${prefix}${subject}`);
        recordings.push(subscription);
        void (async () => {
          for await (const message of subscription)
            published.push({
              subject: message.subject.slice(prefix.length),
              msgId: message.headers?.get('Nats-Msg-Id'),
              body: message.json<Body>(),
            });
        })();
      }
      // The subscriptions are registered on the server before anything is published.
      await nats.flush();
      return published;
    },
    async close() {
      for (const recording of recordings) recording.unsubscribe();
      await platform.close();
      await deleteNamespaceStreams(namespace);
      await dropTestDatabase(database);
    },
  };
}
