import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createClickHouseClient } from '@cdp/persistence';
import { TEST_NATS_URL, type SpawnedProcess } from '@cdp/testing';
import { runCli, type Sandbox } from './platform';

/** The workspace and admin key `cdp bootstrap` prints (once, as JSON). */
export interface Workspace {
  readonly workspaceId: string;
  readonly keyId: string;
  readonly key: string;
}

/** A source of a workspace and the plaintext of one of its write keys. */
export interface CollectionSource {
  readonly sourceId: string;
  readonly writeKey: string;
}

export async function bootstrapWorkspace(sandbox: Sandbox, name: string): Promise<Workspace> {
  const { code, stdout } = await runCli(['bootstrap', '--name', name], sandbox);
  assert.equal(code, 0, stdout);
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, stdout);
  return JSON.parse(line) as Workspace;
}

/** Calls the management API with the workspace's secret key and returns the parsed JSON. */
export async function manage<T>(
  baseUrl: string,
  adminKey: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path} -> ${response.status} ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** Creates a source through the sources API and issues it a write key. */
export async function createSource(
  baseUrl: string,
  adminKey: string,
  name: string,
  kind: 'browser' | 'server' | 'mobile' | 'import' = 'browser',
): Promise<CollectionSource> {
  const source = await manage<{ id: string }>(baseUrl, adminKey, 'POST', '/v1/sources', {
    name,
    kind,
  });
  const key = await manage<{ key: string }>(
    baseUrl,
    adminKey,
    'POST',
    `/v1/sources/${source.id}/write-keys`,
    {},
  );
  assert.ok(key.key, 'the write key plaintext is returned once');
  return { sourceId: source.id, writeKey: key.key };
}

/** HTTP Basic credentials as the Segment SDKs send them: the write key as user, no password. */
export function basicAuth(writeKey: string): string {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
}

/** The embedded ClickHouse directory of a sandbox (`chdb://<dir>`). */
export function clickHouseUrl(sandbox: Sandbox): string {
  const url = sandbox.env.CLICKHOUSE_URL;
  if (url === undefined || !url.startsWith('chdb://'))
    throw new Error(`the sandbox does not use embedded ClickHouse: ${url}`);
  return url;
}

/**
 * Runs a query against the sandbox's embedded ClickHouse from the test process. Embedded
 * ClickHouse binds one data directory to one process: call this only once the platform process
 * that owned the directory has exited (SIGTERM flushes the event writer first).
 */
export async function queryClickHouse<T>(
  sandbox: Sandbox,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const client = createClickHouseClient(clickHouseUrl(sandbox));
  try {
    const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
    return await result.json<T>();
  } finally {
    await client.close();
  }
}

/** Row of the `events` table as this suite reads it (timestamps as ISO-8601 UTC text). */
export interface StoredEvent {
  workspace_id: string;
  message_id: string;
  type: string;
  event: string;
  name: string;
  category: string;
  anonymous_id: string;
  user_id: string;
  group_id: string;
  previous_id: string;
  source_id: string;
  write_key_id: string;
  timestamp: string;
  original_timestamp: string | null;
  sent_at: string | null;
  received_at: string;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown>;
  integrations: string;
}

/**
 * Every column of the workspace's events, timestamps as ISO-8601 (`...Z`), JSON columns as
 * objects. Reads after the platform stopped (see queryClickHouse).
 */
export function readStoredEvents(sandbox: Sandbox, workspaceId: string): Promise<StoredEvent[]> {
  return queryClickHouse<StoredEvent>(
    sandbox,
    `SELECT workspace_id, message_id, type, event, name, category, anonymous_id, user_id, group_id,
            previous_id, source_id, write_key_id, toString(timestamp) AS timestamp,
            toString(original_timestamp) AS original_timestamp, toString(sent_at) AS sent_at,
            toString(received_at) AS received_at,
            toJSONString(properties) AS properties, toJSONString(traits) AS traits,
            toJSONString(context) AS context, integrations
       FROM events WHERE workspace_id = {workspace:String} ORDER BY received_at, message_id`,
    { workspace: workspaceId },
  ).then((rows) =>
    rows.map((row) => ({
      ...row,
      timestamp: isoUtc(row.timestamp) ?? '',
      original_timestamp: isoUtc(row.original_timestamp),
      sent_at: isoUtc(row.sent_at),
      received_at: isoUtc(row.received_at) ?? '',
      properties: parseJsonColumn(row.properties),
      traits: parseJsonColumn(row.traits),
      context: parseJsonColumn(row.context),
    })),
  );
}

/** ClickHouse DateTime64(3, 'UTC') text (`2024-03-04 05:06:07.089`) → ISO-8601. */
function isoUtc(value: string | null): string | null {
  return value === null ? null : `${value.replace(' ', 'T')}Z`;
}

function parseJsonColumn(value: unknown): Record<string, unknown> {
  return (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  { timeoutMs = 20_000, intervalMs = 200 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `${what}: not reached in ${timeoutMs} ms${last instanceof Error ? ` (last error: ${last.message})` : ''}`,
  );
}

/**
 * Waits until every consumer of the sandbox's EVENTS stream (the event writer) has nothing
 * pending and nothing unacknowledged. The writer acks a batch only once its rows are in
 * ClickHouse, so afterwards every accepted event is stored (the platform may then be stopped and
 * ClickHouse read). Returns the stream's message count.
 */
export async function waitForWriterDrained(
  sandbox: Sandbox,
  options: { natsUrl?: string; timeoutMs?: number; platform?: SpawnedProcess } = {},
): Promise<{ messages: number; consumers: string[] }> {
  const natsUrl = options.natsUrl ?? sandbox.env.NATS_URL ?? TEST_NATS_URL;
  const namespace = sandbox.env.NATS_NAMESPACE ?? '';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const nc = await connect({ servers: natsUrl.replace(/^nats:\/\//, ''), reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    const stream = `${namespace}_EVENTS`;
    let state = 'no answer';
    try {
      return await eventually(
        `consumers of ${stream} drained`,
        async () => {
          const info = await jsm.streams.info(stream);
          const consumers = [];
          for await (const consumer of jsm.consumers.list(stream)) consumers.push(consumer);
          state = `${info.state.messages} messages; consumers: ${
            consumers
              .map((c) => `${c.name} pending ${c.num_pending} unacked ${c.num_ack_pending}`)
              .join(', ') || 'none'
          }`;
          if (consumers.length === 0) return undefined;
          const busy = consumers.filter((c) => c.num_pending > 0 || c.num_ack_pending > 0);
          if (busy.length > 0) return undefined;
          return { messages: info.state.messages, consumers: consumers.map((c) => c.name) };
        },
        { timeoutMs, intervalMs: 100 },
      );
    } catch (error) {
      const output = options.platform?.output() ?? '';
      const warnings = output
        .split('\n')
        .filter((line) => /"level":"(warn|error|fatal)"/.test(line))
        .slice(-5)
        .map((line) => line.slice(0, 800));
      throw new Error(
        `${(error as Error).message}; last state: ${state}` +
          (warnings.length > 0 ? `\nlast platform warnings:\n${warnings.join('\n')}` : ''),
      );
    }
  } finally {
    await nc.close();
  }
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/**
 * Sends exact bytes with node:http and reads the answer even when the server answers early and
 * closes before taking the whole body (a 413 on a large upload): fetch reports that as a
 * network error, while a real HTTP client, like curl, gets the status.
 */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: Buffer;
    timeoutMs?: number;
    /** Declare the body's length but send only the headers (the server may refuse on them). */
    headersOnly?: boolean;
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      url,
      {
        method: options.method ?? 'POST',
        headers: {
          ...options.headers,
          ...(options.body === undefined ? {} : { 'content-length': String(options.body.length) }),
        },
        timeout: options.timeoutMs ?? 15_000,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          if (options.headersOnly) req.destroy();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    // A write cut short by an early answer (EPIPE, ECONNRESET) is not a failure of the exchange.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (answered) return;
      // The server answered (413) and closed while the body was still being written, and the
      // answer was lost with the socket: ask again with the headers alone to read it.
      if (
        !options.headersOnly &&
        options.body &&
        (error.code === 'EPIPE' || error.code === 'ECONNRESET')
      )
        rawRequest(url, { ...options, headersOnly: true }).then(resolve, reject);
      else reject(error);
    });
    if (options.headersOnly) {
      req.flushHeaders();
      return;
    }
    const body = options.body;
    if (body === undefined || body.length <= CHUNK_BYTES) {
      req.end(body);
      return;
    }
    // A large body goes out in chunks, one event-loop turn apart, so an early answer (413
    // before the body is read) is parsed before the server closes the socket under a write:
    // otherwise the client may see only EPIPE and lose the answer.
    let offset = 0;
    const writeNext = (): void => {
      while (!answered && offset < body.length) {
        const chunk = body.subarray(offset, offset + CHUNK_BYTES);
        offset += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', writeNext);
          return;
        }
        if (offset < body.length) {
          // After the first chunk, give the server time to refuse on the declared length alone.
          if (offset === CHUNK_BYTES) setTimeout(writeNext, EARLY_ANSWER_WAIT_MS);
          else setImmediate(writeNext);
          return;
        }
      }
      req.end();
    };
    writeNext();
  });
}

const CHUNK_BYTES = 64 * 1024;
const EARLY_ANSWER_WAIT_MS = 250;
