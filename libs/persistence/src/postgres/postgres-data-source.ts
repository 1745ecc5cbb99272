import { DataSource, MigrationExecutor, type LoggerOptions, type QueryRunner } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { createLogger, type Logger } from '@cdp/observability';
import { PersistenceError } from '../persistence-error';
import { withTimeout } from '../with-timeout';
import { assertSchemaName } from '../schema-names';
import { ensureDatabase } from './ensure-database';
import { parsePostgresUrl } from './postgres-url';
import { quoteIdentifier, toPostgresError } from './postgres-errors';
import type { PostgresSchema } from './postgres-schema';

export interface PostgresDataSourceOptions extends PostgresSchema {
  /** `postgres://user:password@host:port/database` */
  url: string;
  /** Let TypeORM run pending migrations inside `initialize()` (default false; prefer openPostgres). */
  migrationsRun?: boolean;
  logging?: LoggerOptions;
  /** Connection pool size (default 10). */
  poolSize?: number;
  /** Create tables from entities. Tests only: production schemas come from migrations. */
  synchronize?: boolean;
  /** Connect timeout (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Reported in pg_stat_activity (default `cdp-<schema>`). */
  applicationName?: string;
}

export interface OpenPostgresOptions extends PostgresDataSourceOptions {
  /**
   * openPostgres creates the schema and applies pending migrations unless this is `false`
   * (e.g. when a Kubernetes `migrate` Job owns them).
   */
  migrationsRun?: boolean;
  logger?: Logger;
}

/** Name of the TypeORM migrations table, created inside the service schema. */
export const MIGRATIONS_TABLE = 'migrations';

/**
 * A TypeORM DataSource (not yet initialised) bound to one service schema: the search_path of
 * every pooled connection is that schema and the migrations table lives in it.
 */
export function createPostgresDataSource(options: PostgresDataSourceOptions): DataSource {
  assertSchemaName(options.schema);
  parsePostgresUrl(options.url);
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const config: PostgresConnectionOptions = {
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    migrationsRun: options.migrationsRun ?? false,
    synchronize: options.synchronize ?? false,
    logging: options.logging ?? false,
    poolSize: options.poolSize ?? 10,
    connectTimeoutMS: connectTimeoutMs,
    applicationName: options.applicationName ?? `cdp-${options.schema}`,
    // The schema name is validated above, so it is safe inside the startup options string.
    extra: { options: `-c search_path=${options.schema}` },
  };
  return new DataSource(config);
}

/** The schema a DataSource made by createPostgresDataSource is bound to. */
function schemaOf(dataSource: DataSource): string {
  const schema = (dataSource.options as Partial<PostgresConnectionOptions>).schema;
  if (dataSource.options.type !== 'postgres' || schema === undefined) {
    throw new PersistenceError(
      'INVALID_NAME',
      'expected a Postgres DataSource bound to a schema (createPostgresDataSource)',
    );
  }
  assertSchemaName(schema);
  return schema;
}

/** Runs `work` on one connection holding the migration advisory lock of `schema`. */
async function withMigrationLock<T>(
  dataSource: DataSource,
  schema: string,
  work: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    // Advisory locks are scoped to the current database, and the key to the schema, so two
    // services (schemas) migrate in parallel but two replicas of one service take turns.
    await runner.query('SELECT pg_advisory_lock(hashtext($1), hashtext($2))', [
      'cdp:migrations',
      schema,
    ]);
    try {
      return await work(runner);
    } finally {
      await runner
        .query('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', ['cdp:migrations', schema])
        .catch(() => undefined);
    }
  } finally {
    await runner.release();
  }
}

/**
 * Creates the schema when missing and applies pending migrations, each in its own transaction,
 * under an advisory lock keyed on the schema (two processes starting at once apply each migration
 * once: the second waits, then finds nothing pending). Returns the names of the migrations applied.
 * This is what the `migrate` command runs; `dataSource` must be initialised.
 */
export async function runMigrations(
  dataSource: DataSource,
  options: { logger?: Logger; synchronize?: boolean } = {},
): Promise<string[]> {
  const schema = schemaOf(dataSource);
  const logger = options.logger ?? createLogger('persistence', { schema });
  return withMigrationLock(dataSource, schema, async (runner) => {
    await runner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    const applied = await executor.executePendingMigrations();
    for (const migration of applied)
      logger.info({ migration: migration.name }, 'postgres migration applied');
    if (options.synchronize === true) await dataSource.synchronize();
    return applied.map((migration) => migration.name);
  });
}

/**
 * Everything a service needs at start: creates the database when missing, connects, creates the
 * schema and applies pending migrations (see runMigrations). With `synchronize: true` (tests only)
 * the entities' tables are synchronised after the migrations, under the same lock.
 *
 * @throws PostgresUnavailableError when the server cannot be reached.
 */
export async function openPostgres(options: OpenPostgresOptions): Promise<DataSource> {
  assertSchemaName(options.schema);
  const { address } = parsePostgresUrl(options.url);
  await ensureDatabase(options.url, { connectTimeoutMs: options.connectTimeoutMs ?? 5000 });
  // Synchronising in initialize() would run before the schema exists: it is done after migrations.
  const dataSource = createPostgresDataSource({
    ...options,
    migrationsRun: false,
    synchronize: false,
  });
  try {
    await dataSource.initialize();
  } catch (error) {
    throw toPostgresError(error, address);
  }
  if (options.migrationsRun === false) return dataSource;
  try {
    await runMigrations(dataSource, {
      ...(options.logger ? { logger: options.logger } : {}),
      synchronize: options.synchronize === true,
    });
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    throw toPostgresError(error, address);
  }
  return dataSource;
}

/**
 * Readiness check: `SELECT 1` within `timeoutMs` (default 2000). Resolves when Postgres answered,
 * rejects otherwise (PersistenceError PING_TIMEOUT, or the driver's error).
 */
export async function pingPostgres(dataSource: DataSource, timeoutMs = 2000): Promise<void> {
  await withTimeout(dataSource.query('SELECT 1'), timeoutMs, 'Postgres');
}
