import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  migrationChecksum,
  parseClickHouseMigration,
  sortMigrations,
  splitSqlStatements,
} from './clickhouse-migration';
import { PersistenceError } from '../persistence-error';

const isCode = (code: string) => (error: unknown) =>
  error instanceof PersistenceError && error.code === code;

void test('statements are split on ; lines and blank pieces are skipped', () => {
  const sql =
    'CREATE TABLE IF NOT EXISTS a (x UInt8) ENGINE = Memory;\n\nCREATE TABLE IF NOT EXISTS b (y UInt8) ENGINE = Memory\n;\n;\n';
  assert.deepEqual(splitSqlStatements(sql), [
    'CREATE TABLE IF NOT EXISTS a (x UInt8) ENGINE = Memory',
    'CREATE TABLE IF NOT EXISTS b (y UInt8) ENGINE = Memory',
  ]);
});

void test('a final statement without ; counts', () => {
  assert.deepEqual(splitSqlStatements('SELECT 1;\nSELECT 2'), ['SELECT 1', 'SELECT 2']);
});

void test('; inside strings, quoted identifiers and comments does not split', () => {
  const sql = [
    '-- header comment; not a statement',
    "ALTER TABLE t COMMENT COLUMN c 'a;b \\'quoted;\\' and ''doubled;'''; /* block ; comment */",
    'CREATE TABLE `odd;name` ("col;1" String) ENGINE = Memory;',
  ].join('\n');
  assert.deepEqual(splitSqlStatements(sql), [
    "ALTER TABLE t COMMENT COLUMN c 'a;b \\'quoted;\\' and ''doubled;'''",
    'CREATE TABLE `odd;name` ("col;1" String) ENGINE = Memory',
  ]);
});

void test('comment-only text has no statements; -- inside a string is kept', () => {
  assert.deepEqual(splitSqlStatements('-- nothing\n/* at all */\n'), []);
  assert.deepEqual(splitSqlStatements("SELECT '--not a comment' -- but this is\n;"), [
    "SELECT '--not a comment'",
  ]);
});

void test('unterminated strings and comments are reported', () => {
  assert.throws(() => splitSqlStatements("SELECT 'oops"), isCode('MIGRATION_INVALID'));
  assert.throws(() => splitSqlStatements('SELECT 1 /* oops'), isCode('MIGRATION_INVALID'));
});

void test('a migration takes version and name from its file name', () => {
  const migration = parseClickHouseMigration(
    '0007_create_events.sql',
    'CREATE TABLE IF NOT EXISTS e (x UInt8) ENGINE = Memory;',
  );
  assert.equal(migration.version, 7);
  assert.equal(migration.name, 'create_events');
  assert.equal(migration.file, '0007_create_events.sql');
  assert.equal(migration.statements.length, 1);
  assert.match(migration.checksum, /^[0-9a-f]{64}$/);
});

void test('badly named or empty migration files are rejected naming the file', () => {
  for (const file of ['create_events.sql', '0001-create.sql', '0001_.sql', '0001_x.txt']) {
    assert.throws(
      () => parseClickHouseMigration(file, 'SELECT 1'),
      (e: unknown) => isCode('MIGRATION_INVALID')(e) && (e as Error).message.includes(file),
    );
  }
  assert.throws(
    () => parseClickHouseMigration('0001_empty.sql', '-- todo\n'),
    /0001_empty\.sql contains no statement/,
  );
});

void test('the checksum ignores line endings and trailing whitespace, not content', () => {
  assert.equal(
    migrationChecksum('SELECT 1;\r\nSELECT 2;\n\n'),
    migrationChecksum('SELECT 1;\nSELECT 2;'),
  );
  assert.notEqual(migrationChecksum('SELECT 1;'), migrationChecksum('SELECT 2;'));
});

void test('migrations sort by numeric version and duplicate versions are rejected', () => {
  const m = (file: string) => parseClickHouseMigration(file, 'SELECT 1');
  assert.deepEqual(
    sortMigrations([m('10_c.sql'), m('0002_b.sql'), m('1_a.sql')]).map((x) => x.version),
    [1, 2, 10],
  );
  assert.throws(
    () => sortMigrations([m('0001_a.sql'), m('1_b.sql')]),
    /0001_a\.sql and 1_b\.sql have the same version 1/,
  );
});
