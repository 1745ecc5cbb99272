import type { ClickHouseClient } from '@clickhouse/client';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  createClickHouseClient,
  loadClickHouseMigrations,
  openPostgres,
  PersistenceError,
  PostgresUnavailableError,
  pingClickHouse,
  pingPostgres,
  runClickHouseMigrations,
} from '@cdp/persistence';
import { connectNats, ensureStreams, EventPublisher, Namespace, QueryClient } from '@cdp/messaging';
import { TENANCY_ENTITIES, TENANCY_MIGRATIONS, TENANCY_SCHEMA } from '@cdp/tenancy';
import { createLogger } from '@cdp/observability';
import type { StreamSpec } from '@cdp/contracts';
import type { ServiceDefinition, ServiceName } from './service-definition';
import { describeUnavailable } from './dependency-errors';

/** A readiness check: resolves when healthy, throws with the reason otherwise. */
export type ReadinessCheck = () => Promise<void>;

/** What the runtime connected for one service; handed to its module. */
export interface ServiceInfrastructure {
  readonly service: ServiceName;
  readonly config: Readonly<Record<string, unknown>>;
  readonly postgres: DataSource;
  readonly clickhouse: ClickHouseClient | undefined;
  readonly nats: NatsConnection;
  readonly namespace: Namespace;
  readonly publisher: EventPublisher;
  readonly queries: QueryClient;
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
}

/** Connections shared by every service of one process. */
export interface PlatformInfrastructure {
  readonly nats: NatsConnection;
  readonly namespace: Namespace;
  readonly tenancy: DataSource;
  readonly clickhouse: ClickHouseClient | undefined;
  readonly publisher: EventPublisher;
  readonly queries: QueryClient;
  readonly services: readonly ServiceInfrastructure[];
  close(): Promise<void>;
}

export interface PlatformConfig {
  readonly NATS_URL: string;
  readonly NATS_NAMESPACE: string;
  readonly DATABASE_URL: string;
  readonly CLICKHOUSE_URL?: string;
}

const log = createLogger('runtime');

/**
 * Connects to NATS, Postgres (one schema per service plus `tenancy`) and ClickHouse when a
 * service needs it, applies migrations and declares streams. Fails with a
 * DependencyUnavailableError naming the dependency, its address and how to start it.
 */
export async function openInfrastructure(
  definitions: readonly ServiceDefinition[],
  config: PlatformConfig & Readonly<Record<string, unknown>>,
  processName: string,
): Promise<PlatformInfrastructure> {
  const opened: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of opened.reverse()) {
      await close().catch((error: unknown) => log.warn({ err: error }, 'error while closing'));
    }
  };
  try {
    const nats = await connectNats({ url: config.NATS_URL, name: processName }).catch(
      (error: unknown) => {
        throw describeUnavailable('nats', config.NATS_URL, error);
      },
    );
    opened.push(() => nats.drain());
    const namespace = Namespace.of(config.NATS_NAMESPACE);

    const streams = uniqueStreams(definitions.flatMap((d) => d.streams));
    await ensureStreams(await jetstreamManager(nats), namespace, streams);

    const openSchema = (
      schema: string,
      entities: readonly unknown[],
      migrations: readonly unknown[],
    ) =>
      openPostgres({
        url: config.DATABASE_URL,
        schema,
        // TypeORM types entities and migrations as loose function/string unions.
        entities: [...entities] as never,
        migrations: [...migrations] as never,
      }).catch((error: unknown) => {
        // Only an unreachable server is an operator's one-liner; a failing migration keeps its stack.
        throw error instanceof PostgresUnavailableError
          ? describeUnavailable('postgres', config.DATABASE_URL, error)
          : error;
      });

    const tenancy = await openSchema(TENANCY_SCHEMA, TENANCY_ENTITIES, TENANCY_MIGRATIONS);
    opened.push(() => tenancy.destroy());

    let clickhouse: ClickHouseClient | undefined;
    if (definitions.some((d) => d.clickhouse) && config.CLICKHOUSE_URL) {
      clickhouse = createClickHouseClient(config.CLICKHOUSE_URL);
      const client = clickhouse;
      opened.push(() => client.close());
      await pingClickHouse(clickhouse).catch((error: unknown) => {
        throw error instanceof PersistenceError
          ? describeUnavailable('clickhouse', config.CLICKHOUSE_URL ?? '', error)
          : error;
      });
      for (const definition of definitions) {
        if (!definition.clickhouse) continue;
        await runClickHouseMigrations(clickhouse, {
          service: definition.name,
          migrations: loadClickHouseMigrations(definition.clickhouse.migrationsDir),
        });
      }
    }

    const publisher = new EventPublisher(nats, namespace);
    const queries = new QueryClient(nats, namespace);
    const services: ServiceInfrastructure[] = [];
    for (const definition of definitions) {
      const postgres = await openSchema(
        definition.postgres.schema,
        definition.postgres.entities,
        definition.postgres.migrations,
      );
      opened.push(() => postgres.destroy());
      const readiness: Record<string, ReadinessCheck> = {
        postgres: () => pingPostgres(postgres),
        nats: async () => {
          if (nats.isClosed()) throw new Error('connection closed');
          await nats.flush();
        },
      };
      const serviceClickhouse = definition.clickhouse ? clickhouse : undefined;
      if (serviceClickhouse) readiness.clickhouse = () => pingClickHouse(serviceClickhouse);
      services.push({
        service: definition.name,
        config,
        postgres,
        clickhouse: serviceClickhouse,
        nats,
        namespace,
        publisher,
        queries,
        readiness,
      });
    }
    return { nats, namespace, tenancy, clickhouse, publisher, queries, services, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

function uniqueStreams(streams: readonly StreamSpec[]): StreamSpec[] {
  return [...new Map(streams.map((s) => [s.name, s])).values()];
}
