import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PersistenceError,
  createClickHouseClient,
  loadClickHouseMigrations,
  migrateClickHouse,
  parseClickHouseMigration,
  runClickHouseMigrations,
  type ClickHouseClient,
} from '../src';

// Embedded ClickHouse: one data directory per process, so this file owns one temp dir.
const root = mkdtempSync(join(tmpdir(), 'cdp-persistence-chm-'));
let client: ClickHouseClient;
let dirCount = 0;

before(() => {
  client = createClickHouseClient(`chdb://${join(root, 'data')}`);
});
after(async () => {
  await client.close();
  rmSync(root, { recursive: true, force: true });
});

function migrationsDir(files: Record<string, string>): string {
  dirCount += 1;
  const dir = join(root, `migrations-${dirCount}`);
  mkdirSync(dir, { recursive: true });
  for (const [file, sql] of Object.entries(files)) writeFileSync(join(dir, file), sql);
  return dir;
}

async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

const recorded = (service: string) =>
  rows<{ version: number; name: string }>(
    'SELECT version, name FROM schema_migrations FINAL WHERE service = {s:String} ORDER BY version',
    { s: service },
  );

void describe('ClickHouse migrations (embedded)', () => {
  void test('apply once in version order, several statements per file, recorded per service', async () => {
    const dir = migrationsDir({
      // 0002 only works after 0001: file order on disk and in the array must not matter.
      '0002_add_source.sql':
        "ALTER TABLE ing_events ADD COLUMN IF NOT EXISTS source String DEFAULT 'web';\n",
      '0001_create_events.sql': [
        '-- the events table; statements are separated by ;',
        'CREATE TABLE IF NOT EXISTS ing_events (',
        '  workspace_id String, message_id String, properties JSON',
        ') ENGINE = ReplacingMergeTree ORDER BY (workspace_id, message_id);',
        '',
        'CREATE TABLE IF NOT EXISTS ing_identity_map (identifier String, profile_id String)',
        'ENGINE = ReplacingMergeTree ORDER BY identifier;',
      ].join('\n'),
      'README.md': 'not a migration',
    });
    const migrations = loadClickHouseMigrations(dir);
    assert.deepEqual(
      migrations.map((m) => m.file),
      ['0001_create_events.sql', '0002_add_source.sql'],
    );

    const first = await runClickHouseMigrations(client, {
      service: 'ingestion',
      migrations: [...migrations].reverse(),
    });
    assert.deepEqual(first.applied, ['0001_create_events.sql', '0002_add_source.sql']);
    assert.deepEqual(await recorded('ingestion'), [
      { version: 1, name: 'create_events' },
      { version: 2, name: 'add_source' },
    ]);
    const columns = await rows<{ name: string }>(
      "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'ing_events' ORDER BY position",
    );
    assert.deepEqual(
      columns.map((c) => c.name),
      ['workspace_id', 'message_id', 'properties', 'source'],
    );
    assert.deepEqual(
      await rows(
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'ing_identity_map'",
      ),
      [{ name: 'ing_identity_map' }],
    );

    const second = await migrateClickHouse(client, {
      service: 'ingestion',
      clickhouseMigrationsDir: dir,
    });
    assert.deepEqual(second.applied, []);
    assert.equal((await recorded('ingestion')).length, 2);

    // Another service's history is separate.
    assert.deepEqual(await recorded('segmentation'), []);
  });

  void test('a changed applied migration is an error naming the file; nothing else runs', async () => {
    const files = {
      '0001_create.sql':
        'CREATE TABLE IF NOT EXISTS chk_t (x UInt8) ENGINE = MergeTree ORDER BY x;',
    };
    await migrateClickHouse(client, {
      service: 'checksum',
      clickhouseMigrationsDir: migrationsDir(files),
    });
    const edited = migrationsDir({
      '0001_create.sql':
        'CREATE TABLE IF NOT EXISTS chk_t (x UInt16) ENGINE = MergeTree ORDER BY x;',
      '0002_more.sql': 'CREATE TABLE IF NOT EXISTS chk_u (x UInt8) ENGINE = MergeTree ORDER BY x;',
    });
    await assert.rejects(
      migrateClickHouse(client, { service: 'checksum', clickhouseMigrationsDir: edited }),
      (error: unknown) => {
        assert.ok(error instanceof PersistenceError);
        assert.equal(error.code, 'MIGRATION_CHECKSUM_MISMATCH');
        assert.match(error.message, /0001_create\.sql/);
        return true;
      },
    );
    assert.deepEqual(
      await rows(
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'chk_u'",
      ),
      [],
    );
  });

  void test('a pending migration older than the newest applied one is refused unless allowed', async () => {
    const m = (file: string, table: string) =>
      parseClickHouseMigration(
        file,
        `CREATE TABLE IF NOT EXISTS ${table} (x UInt8) ENGINE = MergeTree ORDER BY x;`,
      );
    await runClickHouseMigrations(client, {
      service: 'order',
      migrations: [m('0001_a.sql', 'ord_a'), m('0003_c.sql', 'ord_c')],
    });
    const withLate = [m('0001_a.sql', 'ord_a'), m('0002_b.sql', 'ord_b'), m('0003_c.sql', 'ord_c')];
    await assert.rejects(
      runClickHouseMigrations(client, { service: 'order', migrations: withLate }),
      /0002_b\.sql .*version 3 is already applied/,
    );
    const allowed = await runClickHouseMigrations(client, {
      service: 'order',
      migrations: withLate,
      allowOutOfOrder: true,
    });
    assert.deepEqual(allowed.applied, ['0002_b.sql']);
  });

  void test('a failing statement names the file and statement, and the migration is not recorded', async () => {
    const broken = parseClickHouseMigration(
      '0001_broken.sql',
      'CREATE TABLE IF NOT EXISTS brk_t (x UInt8) ENGINE = MergeTree ORDER BY x;\nALTER TABLE brk_missing ADD COLUMN y UInt8;',
    );
    await assert.rejects(
      runClickHouseMigrations(client, { service: 'broken', migrations: [broken] }),
      (error: unknown) => {
        assert.ok(error instanceof PersistenceError);
        assert.equal(error.code, 'MIGRATION_FAILED');
        assert.match(error.message, /0001_broken\.sql of broken failed at statement 2 of 2/);
        return true;
      },
    );
    assert.deepEqual(await recorded('broken'), []);
    // Not recorded, so the fixed file runs from its first statement (which is why statements
    // must be re-runnable: IF NOT EXISTS).
    const fixed = parseClickHouseMigration(
      '0001_broken.sql',
      'CREATE TABLE IF NOT EXISTS brk_t (x UInt8) ENGINE = MergeTree ORDER BY x;\nALTER TABLE brk_t ADD COLUMN IF NOT EXISTS y UInt8;',
    );
    assert.deepEqual(
      (await runClickHouseMigrations(client, { service: 'broken', migrations: [fixed] })).applied,
      ['0001_broken.sql'],
    );
  });

  void test('concurrent runs of the same idempotent migrations both succeed and leave one record each', async () => {
    const dir = migrationsDir({
      '0001_one.sql': 'CREATE TABLE IF NOT EXISTS con_t (x UInt8) ENGINE = MergeTree ORDER BY x;',
      '0002_two.sql': 'ALTER TABLE con_t ADD COLUMN IF NOT EXISTS y UInt8;',
    });
    await Promise.all([
      migrateClickHouse(client, { service: 'concurrent', clickhouseMigrationsDir: dir }),
      migrateClickHouse(client, { service: 'concurrent', clickhouseMigrationsDir: dir }),
    ]);
    assert.deepEqual(
      (await recorded('concurrent')).map((r) => r.version),
      [1, 2],
    );
    assert.deepEqual(
      (await migrateClickHouse(client, { service: 'concurrent', clickhouseMigrationsDir: dir }))
        .applied,
      [],
    );
  });
});
