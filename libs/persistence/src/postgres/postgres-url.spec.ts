import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePostgresUrl, redactUrl, withDatabase } from './postgres-url';
import { PersistenceError } from '../persistence-error';

void test('parses host, port, database and user', () => {
  assert.deepEqual(parsePostgresUrl('postgres://root@127.0.0.1:5432/cdp'), {
    host: '127.0.0.1',
    port: 5432,
    database: 'cdp',
    user: 'root',
    address: '127.0.0.1:5432',
  });
});

void test('postgresql:// is accepted, the port defaults to 5432 and names are percent-decoded', () => {
  const url = parsePostgresUrl('postgresql://us%40er:p%3Ass@db.internal/my%20db?sslmode=require');
  assert.equal(url.port, 5432);
  assert.equal(url.database, 'my db');
  assert.equal(url.user, 'us@er');
  assert.equal(url.address, 'db.internal:5432');
});

void test('IPv6 hosts lose their brackets but keep them in the address', () => {
  const url = parsePostgresUrl('postgres://[::1]:6543/x');
  assert.equal(url.host, '::1');
  assert.equal(url.address, '[::1]:6543');
});

void test('a URL without a database, with another scheme, or unparseable is rejected with INVALID_URL', () => {
  for (const bad of [
    'postgres://root@127.0.0.1:5432',
    'postgres://root@127.0.0.1:5432/',
    'mysql://h/db',
    'not a url',
    'postgres://h/a/b',
  ]) {
    assert.throws(
      () => parsePostgresUrl(bad),
      (error: unknown) => error instanceof PersistenceError && error.code === 'INVALID_URL',
      bad,
    );
  }
});

void test('error messages never contain the password', () => {
  assert.throws(
    () => parsePostgresUrl('postgres://u:s3cret@h:5432'),
    (error: unknown) =>
      error instanceof Error && !error.message.includes('s3cret') && error.message.includes('***'),
  );
  assert.equal(redactUrl('postgres://u:s3cret@h/db'), 'postgres://u:***@h/db');
});

void test('withDatabase switches the database and keeps credentials and parameters', () => {
  assert.equal(
    withDatabase('postgres://u:p@h:1/app?sslmode=disable', 'postgres'),
    'postgres://u:p@h:1/postgres?sslmode=disable',
  );
});
