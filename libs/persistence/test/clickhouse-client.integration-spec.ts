import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PersistenceError, createClickHouseClient, pingClickHouse } from '../src';

// Embedded ClickHouse: one data directory per process, so this file owns one temp dir.
const root = mkdtempSync(join(tmpdir(), 'cdp-persistence-ch-'));
const dataDir = join(root, 'data');

after(() => rmSync(root, { recursive: true, force: true }));

void describe('createClickHouseClient over embedded ClickHouse (chdb)', () => {
  void test('creates the directory; JSON column insert and parameterised query round-trip', async () => {
    const client = createClickHouseClient(`chdb://${dataDir}`);
    try {
      assert.ok(existsSync(dataDir));
      await pingClickHouse(client);
      await client.command({
        query: `CREATE TABLE IF NOT EXISTS events (workspace_id String, message_id String, properties JSON)
          ENGINE = MergeTree ORDER BY (workspace_id, message_id)`,
      });
      await client.insert({
        table: 'events',
        format: 'JSONEachRow',
        values: [
          { workspace_id: 'w1', message_id: 'm1', properties: { plan: 'pro', seats: 3 } },
          { workspace_id: 'w2', message_id: 'm2', properties: { plan: 'free' } },
        ],
      });
      const result = await client.query({
        query:
          'SELECT message_id, properties.plan AS plan FROM events WHERE workspace_id = {workspace:String}',
        query_params: { workspace: 'w1' },
        format: 'JSONEachRow',
      });
      assert.deepEqual(await result.json(), [{ message_id: 'm1', plan: 'pro' }]);
    } finally {
      await client.close();
    }
  });

  void test('the same path (absolute or relative to cwd) returns the same client; close is reference-counted', async () => {
    const a = createClickHouseClient(`chdb://${dataDir}`);
    const b = createClickHouseClient(`chdb://./${relative(process.cwd(), dataDir)}`);
    assert.equal(a, b);
    await a.close();
    // Still open for the second holder, and the data written by the first test is there.
    const result = await b.query({
      query: 'SELECT count() AS n FROM events',
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: number | string }>();
    assert.equal(Number(row?.n), 2); // UInt64: a string from a server, a number from chdb
    await b.close();
  });

  void test('a second, different data directory in the same process is refused with a clear error', async () => {
    const client = createClickHouseClient(`chdb://${dataDir}`);
    try {
      assert.throws(
        () => createClickHouseClient(`chdb://${join(root, 'other')}`),
        (error: unknown) =>
          error instanceof PersistenceError &&
          error.code === 'CHDB_PATH_CONFLICT' &&
          error.message.includes(dataDir) &&
          error.message.includes(join(root, 'other')),
      );
      assert.equal(existsSync(join(root, 'other')), false);
    } finally {
      await client.close();
    }
  });

  void test('an http URL gives a server client that reports an unreachable server on ping', async () => {
    const client = createClickHouseClient('http://127.0.0.1:1/analytics', {
      requestTimeoutMs: 1000,
    });
    try {
      await assert.rejects(pingClickHouse(client, 2000), { code: 'CLICKHOUSE_UNAVAILABLE' });
    } finally {
      await client.close();
    }
  });
});
