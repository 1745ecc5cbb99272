import { Client } from 'pg';
import { parsePostgresUrl, withDatabase } from './postgres-url';
import { quoteIdentifier, sqlState, toPostgresError } from './postgres-errors';

export interface EnsureDatabaseOptions {
  /** Database used to issue CREATE DATABASE (default `postgres`). */
  maintenanceDatabase?: string;
  /** Connect timeout per attempt (default 5000 ms). */
  connectTimeoutMs?: number;
}

const INVALID_CATALOG_NAME = '3D000';
const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505'; // concurrent CREATE DATABASE can collide on pg_database's index

async function withClient<T>(
  url: string,
  address: string,
  timeoutMs: number,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    application_name: 'cdp-persistence',
  });
  // An idle client whose server goes away emits 'error'; without a listener that crashes the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw toPostgresError(error, address);
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates the database named in `url` when it does not exist. Safe to call from several processes
 * at once. Returns true when this call created it.
 *
 * It first connects to the database itself (enough in production, where the role may not be
 * allowed to create databases) and only when that fails with "database does not exist" connects
 * to the maintenance database to create it, serialised by an advisory lock there and tolerant of
 * a concurrent creator (42P04 duplicate_database, 23505).
 *
 * @throws PostgresUnavailableError when the server cannot be reached.
 */
export async function ensureDatabase(
  url: string,
  options: EnsureDatabaseOptions = {},
): Promise<boolean> {
  const { database, address } = parsePostgresUrl(url);
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  try {
    await withClient(url, address, timeoutMs, () => Promise.resolve());
    return false;
  } catch (error) {
    if (sqlState(error) !== INVALID_CATALOG_NAME) throw error;
  }
  const maintenanceUrl = withDatabase(url, options.maintenanceDatabase ?? 'postgres');
  return withClient(maintenanceUrl, address, timeoutMs, async (client) => {
    // Advisory locks are per database: every creator of this name meets on the maintenance db.
    await client.query('SELECT pg_advisory_lock(hashtext($1), hashtext($2))', [
      'cdp:create-database',
      database,
    ]);
    try {
      const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
        database,
      ]);
      if (existing.rowCount !== null && existing.rowCount > 0) return false;
      await client.query(`CREATE DATABASE ${quoteIdentifier(database)}`);
      return true;
    } catch (error) {
      const state = sqlState(error);
      if (state === DUPLICATE_DATABASE || state === UNIQUE_VIOLATION) return false;
      throw error;
    } finally {
      await client
        .query('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', [
          'cdp:create-database',
          database,
        ])
        .catch(() => undefined);
    }
  });
}
