import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type * as ChdbConnectionModule from 'chdb/connection';
import { PersistenceError } from '../persistence-error';
import { withTimeout } from '../with-timeout';
import { parseClickHouseUrl } from './clickhouse-url';

export type { ClickHouseClient } from '@clickhouse/client';

export interface ClickHouseClientOptions {
  /** Per-request timeout for a server (default 30000 ms). Ignored by embedded ClickHouse. */
  requestTimeoutMs?: number;
  /** Settings sent with every query (e.g. `{ allow_experimental_json_type: 1 }` on older servers). */
  clickhouseSettings?: ClickHouseSettings;
  /** Reported to the server as the client name. */
  application?: string;
  /** Base for relative `chdb://` paths (default process.cwd()). */
  cwd?: string;
}

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

interface EmbeddedEntry {
  path: string;
  client: ClickHouseClient;
  references: number;
}

/** The one embedded ClickHouse of this process (libchdb binds one data directory per process). */
let embedded: EmbeddedEntry | undefined;

// chdb is an optionalDependency absent from production images: load it only for chdb:// URLs.
const requireOptional = createRequire(__filename);

function loadChdbConnection(): typeof ChdbConnectionModule {
  try {
    return requireOptional('chdb/connection') as typeof ChdbConnectionModule;
  } catch (cause) {
    throw new PersistenceError(
      'CHDB_NOT_INSTALLED',
      'CLICKHOUSE_URL=chdb://... needs the optional npm package "chdb", which is not installed here; use a ClickHouse server (http(s)://...)',
      { cause },
    );
  }
}

function openEmbedded(path: string, options: ClickHouseClientOptions): ClickHouseClient {
  if (embedded !== undefined) {
    if (embedded.path !== path) {
      throw new PersistenceError(
        'CHDB_PATH_CONFLICT',
        `embedded ClickHouse is already open at ${embedded.path} in this process and allows one data directory per process: cannot open ${path} (give every service of this process the same CLICKHOUSE_URL, or use a ClickHouse server)`,
      );
    }
    embedded.references += 1;
    return embedded.client;
  }
  const { createChdbConnection } = loadChdbConnection();
  if (path !== ':memory:') mkdirSync(path, { recursive: true });
  const client = createClient({
    // chdb types its connection against @clickhouse/client-common, which @clickhouse/client now
    // bundles as its own copy: the shapes match, the declarations are merely distinct.
    connection: createChdbConnection({ path }) as unknown as ClientConnection,
    ...(options.clickhouseSettings ? { clickhouse_settings: options.clickhouseSettings } : {}),
  });
  const entry: EmbeddedEntry = { path, client, references: 1 };
  const closeEngine = client.close.bind(client);
  // Every createClickHouseClient call for this path returns this client; each caller closes it
  // once, and the engine closes with the last one (then another path may be opened).
  client.close = async () => {
    if (entry.references === 0) return;
    entry.references -= 1;
    if (entry.references > 0) return;
    if (embedded === entry) embedded = undefined;
    await closeEngine();
  };
  embedded = entry;
  return client;
}

/**
 * A ClickHouse client for CLICKHOUSE_URL:
 * - `http(s)://user:password@host:port/database` → @clickhouse/client over HTTP(S);
 * - `chdb://<dir>` → the same client type over embedded ClickHouse (`chdb/connection`), the
 *   directory created when missing. One data directory per process: the same path returns the
 *   same client (reference-counted `close()`), a different path throws CHDB_PATH_CONFLICT.
 */
export function createClickHouseClient(
  url: string,
  options: ClickHouseClientOptions = {},
): ClickHouseClient {
  const target = parseClickHouseUrl(url, options.cwd);
  switch (target.kind) {
    case 'embedded':
      return openEmbedded(target.path, options);
    case 'server':
      return createClient({
        url: target.url,
        ...(target.database !== undefined ? { database: target.database } : {}),
        ...(target.username !== undefined ? { username: target.username } : {}),
        ...(target.password !== undefined ? { password: target.password } : {}),
        request_timeout: options.requestTimeoutMs ?? 30_000,
        ...(options.application !== undefined ? { application: options.application } : {}),
        ...(options.clickhouseSettings ? { clickhouse_settings: options.clickhouseSettings } : {}),
      });
  }
}

/**
 * Readiness check within `timeoutMs` (default 2000): resolves when ClickHouse answered, rejects
 * with PersistenceError CLICKHOUSE_UNAVAILABLE or PING_TIMEOUT otherwise.
 */
export async function pingClickHouse(client: ClickHouseClient, timeoutMs = 2000): Promise<void> {
  const result = await withTimeout(client.ping(), timeoutMs, 'ClickHouse');
  if (!result.success) {
    const reason = result.error instanceof Error ? result.error.message : 'ping failed';
    throw new PersistenceError('CLICKHOUSE_UNAVAILABLE', `ClickHouse is unreachable (${reason})`, {
      cause: result.error,
    });
  }
}
