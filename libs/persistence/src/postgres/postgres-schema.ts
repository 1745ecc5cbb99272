import type { DataSourceOptions } from 'typeorm';

type EntityList = NonNullable<DataSourceOptions['entities']>;
type MigrationList = NonNullable<DataSourceOptions['migrations']>;

/**
 * What a service declares about its Postgres storage: its own schema (services never share
 * tables), its entities and its checked-in migrations.
 *
 *   export const identitySchema = definePostgresSchema({
 *     schema: 'identity', entities: [ProfileEntity], migrations: [CreateProfiles1726000000000],
 *   });
 */
export interface PostgresSchema {
  /** Schema name: lower-case identifier, also the search_path and home of the `migrations` table. */
  schema: string;
  entities: EntityList;
  /** Migration classes (or globs), applied in timestamp order, each in its own transaction. */
  migrations: MigrationList;
}

/** Identity helper that gives the declaration its type where it is written. */
export function definePostgresSchema<T extends PostgresSchema>(schema: T): T {
  return schema;
}
