export {
  PersistenceError,
  PostgresUnavailableError,
  type PersistenceErrorCode,
} from './persistence-error';
export {
  parsePostgresUrl,
  withDatabase,
  redactUrl,
  type PostgresUrl,
} from './postgres/postgres-url';
export { ensureDatabase, type EnsureDatabaseOptions } from './postgres/ensure-database';
export { definePostgresSchema, type PostgresSchema } from './postgres/postgres-schema';
export {
  createPostgresDataSource,
  openPostgres,
  runMigrations,
  pingPostgres,
  MIGRATIONS_TABLE,
  type PostgresDataSourceOptions,
  type OpenPostgresOptions,
} from './postgres/postgres-data-source';
export { parseClickHouseUrl, type ClickHouseTarget } from './clickhouse/clickhouse-url';
export {
  createClickHouseClient,
  pingClickHouse,
  type ClickHouseClient,
  type ClickHouseClientOptions,
} from './clickhouse/clickhouse-client';
export {
  parseClickHouseMigration,
  splitSqlStatements,
  migrationChecksum,
  MIGRATION_FILE_PATTERN,
  type ClickHouseMigration,
} from './clickhouse/clickhouse-migration';
export {
  loadClickHouseMigrations,
  runClickHouseMigrations,
  appliedClickHouseMigrations,
  migrateClickHouse,
  defineClickHouseSchema,
  CLICKHOUSE_MIGRATIONS_TABLE,
  type ClickHouseSchema,
  type RunClickHouseMigrationsOptions,
  type ClickHouseMigrationsResult,
} from './clickhouse/clickhouse-migrations';
