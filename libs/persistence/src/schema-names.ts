import { PersistenceError } from './persistence-error';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Postgres schema names are interpolated into DDL and search_path: keep them plain identifiers. */
export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema) || schema.startsWith('pg_')) {
    throw new PersistenceError(
      'INVALID_NAME',
      `invalid Postgres schema name "${schema}": expected lower-case letters, digits and _ (max 63, not starting with a digit or pg_)`,
    );
  }
}

const SERVICE_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

export function assertServiceName(service: string): void {
  if (!SERVICE_NAME.test(service)) {
    throw new PersistenceError(
      'INVALID_NAME',
      `invalid service name "${service}": expected lower-case letters, digits, _ or -`,
    );
  }
}
