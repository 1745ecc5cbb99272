import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { createLogger, type Logger } from '@cdp/observability';
import { PersistenceError } from '../persistence-error';
import { assertServiceName } from '../schema-names';
import {
  parseClickHouseMigration,
  sortMigrations,
  type ClickHouseMigration,
} from './clickhouse-migration';

/** Table (in the client's database) recording applied migrations of every service. */
export const CLICKHOUSE_MIGRATIONS_TABLE = 'schema_migrations';

/**
 * What a service declares about its ClickHouse storage: its name (the key in schema_migrations)
 * and the folder of its `NNNN_name.sql` files.
 */
export interface ClickHouseSchema {
  service: string;
  /** Absolute folder of the migration files (SQL is not compiled: resolve it from the package root). */
  clickhouseMigrationsDir: string;
}

/** Identity helper that gives the declaration its type where it is written. */
export function defineClickHouseSchema<T extends ClickHouseSchema>(schema: T): T {
  return schema;
}

export interface RunClickHouseMigrationsOptions {
  service: string;
  migrations: readonly ClickHouseMigration[];
  /** Apply a pending migration older than the newest applied one instead of failing (default false). */
  allowOutOfOrder?: boolean;
  logger?: Logger;
}

export interface ClickHouseMigrationsResult {
  /** Files applied by this call, in order. */
  applied: string[];
}

/** Reads every `*.sql` file of `dir` as a migration, sorted by version. */
export function loadClickHouseMigrations(dir: string): ClickHouseMigration[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.sql'));
  } catch (cause) {
    throw new PersistenceError(
      'MIGRATION_INVALID',
      `cannot read the ClickHouse migrations folder ${dir}`,
      { cause },
    );
  }
  return sortMigrations(
    files.map((file) => parseClickHouseMigration(file, readFileSync(join(dir, file), 'utf8'))),
  );
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

async function ensureMigrationsTable(client: ClickHouseClient): Promise<void> {
  // Plain SQL that both a server and embedded ClickHouse accept. Two replicas starting at once may
  // both record a migration: ReplacingMergeTree collapses the duplicates and reads group by version.
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${CLICKHOUSE_MIGRATIONS_TABLE} (
      service LowCardinality(String),
      version UInt32,
      name String,
      checksum String,
      applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY (service, version)`,
  });
}

/** Applied migrations of `service`, by version. */
export async function appliedClickHouseMigrations(
  client: ClickHouseClient,
  service: string,
): Promise<Map<number, AppliedRow>> {
  await ensureMigrationsTable(client);
  const result = await client.query({
    query: `SELECT version, argMin(name, applied_at) AS name, argMin(checksum, applied_at) AS checksum
      FROM ${CLICKHOUSE_MIGRATIONS_TABLE} WHERE service = {service:String} GROUP BY version ORDER BY version`,
    query_params: { service },
    format: 'JSONEachRow',
  });
  const rows = await result.json<AppliedRow>();
  return new Map(
    rows.map((row) => [Number(row.version), { ...row, version: Number(row.version) }]),
  );
}

/**
 * Applies pending migrations of `service` once, in version order, recording each in
 * schema_migrations after all its statements succeeded. Forward-only: an applied migration whose
 * file changed is an error naming the file (MIGRATION_CHECKSUM_MISMATCH), and so, by default, is a
 * pending migration older than the newest applied one (MIGRATION_OUT_OF_ORDER).
 *
 * ClickHouse has no transactions nor locks: a migration that failed half-way is re-run from its
 * first statement, and two processes starting together may both run it. Write statements that
 * can run twice: `CREATE TABLE IF NOT EXISTS`, `ADD COLUMN IF NOT EXISTS`, `DROP ... IF EXISTS`.
 */
export async function runClickHouseMigrations(
  client: ClickHouseClient,
  options: RunClickHouseMigrationsOptions,
): Promise<ClickHouseMigrationsResult> {
  const { service } = options;
  assertServiceName(service);
  const logger = options.logger ?? createLogger('persistence', { service });
  const migrations = sortMigrations(options.migrations);
  const applied = await appliedClickHouseMigrations(client, service);

  for (const migration of migrations) {
    const record = applied.get(migration.version);
    if (record === undefined) continue;
    if (record.checksum !== migration.checksum || record.name !== migration.name) {
      throw new PersistenceError(
        'MIGRATION_CHECKSUM_MISMATCH',
        `ClickHouse migration ${migration.file} of ${service} changed after it was applied (applied as ${record.name}, checksum ${record.checksum.slice(0, 12)}, now ${migration.checksum.slice(0, 12)}): migrations are forward-only, add a new one instead`,
      );
    }
  }
  const newestApplied = Math.max(0, ...applied.keys());
  const pending = migrations.filter((migration) => !applied.has(migration.version));
  const late = pending.find((migration) => migration.version < newestApplied);
  if (late !== undefined && options.allowOutOfOrder !== true) {
    throw new PersistenceError(
      'MIGRATION_OUT_OF_ORDER',
      `ClickHouse migration ${late.file} of ${service} is pending but version ${newestApplied} is already applied: renumber it after ${newestApplied}`,
    );
  }

  const done: string[] = [];
  for (const migration of pending) {
    for (const [index, statement] of migration.statements.entries()) {
      try {
        await client.command({ query: statement });
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
        throw new PersistenceError(
          'MIGRATION_FAILED',
          `ClickHouse migration ${migration.file} of ${service} failed at statement ${index + 1} of ${migration.statements.length}: ${reason}`,
          { cause },
        );
      }
    }
    await client.insert({
      table: CLICKHOUSE_MIGRATIONS_TABLE,
      values: [
        { service, version: migration.version, name: migration.name, checksum: migration.checksum },
      ],
      format: 'JSONEachRow',
    });
    logger.info({ migration: migration.file }, 'clickhouse migration applied');
    done.push(migration.file);
  }
  return { applied: done };
}

/** Loads `schema.clickhouseMigrationsDir` and applies it for `schema.service`. */
export async function migrateClickHouse(
  client: ClickHouseClient,
  schema: ClickHouseSchema,
  options: Omit<RunClickHouseMigrationsOptions, 'service' | 'migrations'> = {},
): Promise<ClickHouseMigrationsResult> {
  return runClickHouseMigrations(client, {
    ...options,
    service: schema.service,
    migrations: loadClickHouseMigrations(schema.clickhouseMigrationsDir),
  });
}
