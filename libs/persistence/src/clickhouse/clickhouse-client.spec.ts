import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClickHouseClient } from './clickhouse-client';
import { PersistenceError } from '../persistence-error';

const chdbLoaded = (): boolean =>
  Object.keys(require.cache).some((path) => /[\\/]node_modules[\\/]chdb[\\/]/.test(path));

void test('a server URL never loads chdb (absent from production images)', async () => {
  const client = createClickHouseClient('https://user:pw@clickhouse.internal:8443/analytics');
  await client.close();
  assert.equal(chdbLoaded(), false);
});

void test('an unsupported URL is refused before any client is built', () => {
  assert.throws(
    () => createClickHouseClient('clickhouse://h:9000'),
    (error: unknown) => error instanceof PersistenceError && error.code === 'INVALID_URL',
  );
  assert.equal(chdbLoaded(), false);
});
