import { PersistenceError } from '../persistence-error';

/** The parts of a `postgres://user:password@host:port/database?params` URL this library needs. */
export interface PostgresUrl {
  host: string;
  port: number;
  database: string;
  user: string | undefined;
  /** `host:port`, for messages (never contains the password). */
  address: string;
}

/**
 * Parses a Postgres connection URL (`postgres://` or `postgresql://`). The database name is
 * required: the platform creates it when missing, so it has to be explicit.
 */
export function parsePostgresUrl(url: string): PostgresUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new PersistenceError('INVALID_URL', `not a Postgres URL: ${redactUrl(url)}`, { cause });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new PersistenceError(
      'INVALID_URL',
      `expected a postgres:// or postgresql:// URL, got ${parsed.protocol}//`,
    );
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    throw new PersistenceError(
      'INVALID_URL',
      `the Postgres URL must name one database (postgres://host:5432/<database>): ${redactUrl(url)}`,
    );
  }
  // A bracketed IPv6 host keeps its brackets in URL.hostname; pg wants them off.
  const host = decodeURIComponent(parsed.hostname).replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = parsed.port === '' ? 5432 : Number(parsed.port);
  return {
    host,
    port,
    database,
    user: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    address: `${host.includes(':') ? `[${host}]` : host}:${port}`,
  };
}

/** The same URL pointing at another database of the same server (query parameters kept). */
export function withDatabase(url: string, database: string): string {
  parsePostgresUrl(url);
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The URL with its password replaced by `***`, for error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable URL>';
  }
}
