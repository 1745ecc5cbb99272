import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClickHouseUrl } from './clickhouse-url';
import { PersistenceError } from '../persistence-error';

void test('chdb:// with a relative path resolves against the working directory', () => {
  assert.deepEqual(parseClickHouseUrl('chdb://./.data/clickhouse', '/srv/app'), {
    kind: 'embedded',
    path: '/srv/app/.data/clickhouse',
  });
  assert.deepEqual(parseClickHouseUrl('chdb://data', '/srv/app'), {
    kind: 'embedded',
    path: '/srv/app/data',
  });
});

void test('chdb:/// is an absolute path (normalised), chdb://:memory: is in-memory', () => {
  assert.deepEqual(parseClickHouseUrl('chdb:///var/lib/cdp/../ch/', '/srv'), {
    kind: 'embedded',
    path: '/var/lib/ch',
  });
  assert.deepEqual(parseClickHouseUrl('chdb://:memory:'), { kind: 'embedded', path: ':memory:' });
});

void test('http(s) URLs split into origin, database and credentials', () => {
  assert.deepEqual(
    parseClickHouseUrl('https://app:p%40ss@ch.internal:8443/analytics?request_timeout=1000'),
    {
      kind: 'server',
      url: 'https://ch.internal:8443?request_timeout=1000',
      database: 'analytics',
      username: 'app',
      password: 'p@ss',
    },
  );
  assert.deepEqual(parseClickHouseUrl('http://127.0.0.1:8123'), {
    kind: 'server',
    url: 'http://127.0.0.1:8123',
    database: undefined,
    username: undefined,
    password: undefined,
  });
});

void test('other schemes, empty chdb paths and nested database paths are INVALID_URL', () => {
  for (const bad of ['chdb://', 'tcp://h:9000', 'nonsense', 'http://h/a/b', 'chdb://x?y=1']) {
    assert.throws(
      () => parseClickHouseUrl(bad),
      (error: unknown) => error instanceof PersistenceError && error.code === 'INVALID_URL',
      bad,
    );
  }
});
