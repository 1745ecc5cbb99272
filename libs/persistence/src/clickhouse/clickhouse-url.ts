import { isAbsolute, resolve } from 'node:path';
import { PersistenceError } from '../persistence-error';

/** Where CLICKHOUSE_URL points: a server over HTTP(S), or an embedded engine data directory. */
export type ClickHouseTarget =
  | {
      kind: 'server';
      /** Origin plus query string, without credentials or database path. */
      url: string;
      database: string | undefined;
      username: string | undefined;
      password: string | undefined;
    }
  | {
      kind: 'embedded';
      /** Absolute data directory, or `:memory:`. */
      path: string;
    };

/**
 * Parses CLICKHOUSE_URL:
 * - `http(s)://user:password@host:8123/database` → a server (`database` optional);
 * - `chdb://./relative/dir` (relative to `cwd`), `chdb:///absolute/dir` or `chdb://:memory:`
 *   → embedded ClickHouse (chdb).
 */
export function parseClickHouseUrl(url: string, cwd: string = process.cwd()): ClickHouseTarget {
  if (url.startsWith('chdb://')) {
    const rest = url.slice('chdb://'.length);
    if (rest === '' || rest.includes('?') || rest.includes('#')) {
      throw new PersistenceError(
        'INVALID_URL',
        `expected chdb://<data directory> (e.g. chdb://./.data/clickhouse or chdb:///var/lib/cdp), got ${url}`,
      );
    }
    if (rest === ':memory:') return { kind: 'embedded', path: rest };
    return { kind: 'embedded', path: isAbsolute(rest) ? resolve(rest) : resolve(cwd, rest) };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new PersistenceError(
      'INVALID_URL',
      'CLICKHOUSE_URL is not a URL (expected http://, https:// or chdb://)',
      { cause },
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PersistenceError(
      'INVALID_URL',
      `expected an http://, https:// or chdb:// ClickHouse URL, got ${parsed.protocol}//`,
    );
  }
  const path = decodeURIComponent(parsed.pathname.replace(/^\/+|\/+$/g, ''));
  if (path.includes('/')) {
    throw new PersistenceError(
      'INVALID_URL',
      `the ClickHouse URL path names one database (http://host:8123/<database>), got /${path}`,
    );
  }
  return {
    kind: 'server',
    url: `${parsed.protocol}//${parsed.host}${parsed.search}`,
    database: path === '' ? undefined : path,
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
  };
}
