import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import {
  Column,
  Entity,
  PrimaryColumn,
  type DataSource,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';
import {
  PostgresUnavailableError,
  createPostgresDataSource,
  ensureDatabase,
  openPostgres,
  pingPostgres,
  runMigrations,
  withDatabase,
} from '../src';

const SERVER = process.env.TEST_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const suffix = randomBytes(4).toString('hex');
const DATABASE = `cdp_persistence_${suffix}`;
const URL = withDatabase(SERVER, DATABASE);
const createdDatabases = new Set<string>([DATABASE]);

async function admin<T>(work: (client: Client) => Promise<T>, url = SERVER): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function databaseExists(name: string): Promise<boolean> {
  return admin(
    async (c) =>
      (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1,
  );
}

after(async () => {
  await admin(async (c) => {
    for (const name of createdDatabases)
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
});

void describe('ensureDatabase', () => {
  void test('creates a missing database, then does nothing', async () => {
    const name = `${DATABASE}_ensure`;
    createdDatabases.add(name);
    assert.equal(await databaseExists(name), false);
    assert.equal(await ensureDatabase(withDatabase(SERVER, name)), true);
    assert.equal(await databaseExists(name), true);
    assert.equal(await ensureDatabase(withDatabase(SERVER, name)), false);
  });

  void test('five concurrent calls for one missing database all succeed and exactly one creates it', async () => {
    const name = `${DATABASE}_race`;
    createdDatabases.add(name);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => ensureDatabase(withDatabase(SERVER, name))),
    );
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal(await databaseExists(name), true);
  });

  void test('an unreachable server is a PostgresUnavailableError naming the address, on one line', async () => {
    await assert.rejects(
      ensureDatabase('postgres://root@127.0.0.1:1/nothing', { connectTimeoutMs: 2000 }),
      (error: unknown) => {
        assert.ok(error instanceof PostgresUnavailableError);
        assert.equal(error.code, 'POSTGRES_UNAVAILABLE');
        assert.equal(error.address, '127.0.0.1:1');
        assert.equal(error.reason, 'ECONNREFUSED');
        assert.match(error.message, /^Postgres is unreachable at 127\.0\.0\.1:1 \(ECONNREFUSED\)$/);
        return true;
      },
    );
  });
});

// ---- a service schema with one entity and one migration --------------------------------------

let upCalls = 0;

@Entity('widgets')
class Widget {
  @PrimaryColumn('text')
  id!: string;

  @Column('text')
  label!: string;
}

class CreateWidgets1700000000000 implements MigrationInterface {
  name = 'CreateWidgets1700000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    upCalls += 1;
    // Slow and not idempotent on purpose: a second concurrent application would fail or double up.
    await queryRunner.query('SELECT pg_sleep(0.3)');
    await queryRunner.query('CREATE TABLE widgets (id text PRIMARY KEY, label text NOT NULL)');
    await queryRunner.query("INSERT INTO widgets (id, label) VALUES ('seed', 'from migration')");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE widgets');
  }
}

const schemaOptions = (schema: string) => ({
  url: URL,
  schema,
  entities: [Widget],
  migrations: [CreateWidgets1700000000000],
  poolSize: 3,
});

async function appliedMigrations(schema: string): Promise<string[]> {
  return admin(
    async (c) =>
      (
        await c.query<{ name: string }>(`SELECT name FROM "${schema}".migrations ORDER BY id`)
      ).rows.map((r) => r.name),
    URL,
  );
}

void describe('openPostgres', () => {
  const open: DataSource[] = [];
  after(async () => {
    for (const ds of open) if (ds.isInitialized) await ds.destroy();
  });

  void test('creates database and schema, applies a migration once, records it in the schema', async () => {
    const schema = `svc_${suffix}`;
    upCalls = 0;
    const first = await openPostgres(schemaOptions(schema));
    open.push(first);
    assert.equal(upCalls, 1);
    assert.deepEqual(await appliedMigrations(schema), ['CreateWidgets1700000000000']);
    const tables = await admin(
      async (c) =>
        (
          await c.query<{ table_name: string }>(
            'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
            [schema],
          )
        ).rows,
      URL,
    );
    assert.deepEqual(
      tables.map((r) => r.table_name),
      ['migrations', 'widgets'],
    );

    // The search_path is the service schema: entities and raw SQL both land there.
    await first.getRepository(Widget).save({ id: 'w1', label: 'one' });
    const rows: unknown[] = await first.query('SELECT id FROM widgets ORDER BY id');
    assert.deepEqual(rows, [{ id: 'seed' }, { id: 'w1' }]);

    const second = await openPostgres(schemaOptions(schema));
    open.push(second);
    assert.equal(upCalls, 1, 'a second open applies nothing');
    assert.deepEqual(await runMigrations(second), []);
    assert.deepEqual(await appliedMigrations(schema), ['CreateWidgets1700000000000']);
  });

  void test('two concurrent opens of one schema apply the migration exactly once', async () => {
    const schema = `race_${suffix}`;
    upCalls = 0;
    const both = await Promise.all([
      openPostgres(schemaOptions(schema)),
      openPostgres(schemaOptions(schema)),
    ]);
    open.push(...both);
    assert.equal(upCalls, 1);
    assert.deepEqual(await appliedMigrations(schema), ['CreateWidgets1700000000000']);
    assert.deepEqual(await both[1].query('SELECT count(*)::int AS n FROM widgets'), [{ n: 1 }]);
  });

  void test('synchronize: true (tests only) creates entity tables in a fresh schema after migrations', async () => {
    const schema = `sync_${suffix}`;
    const ds = await openPostgres({ ...schemaOptions(schema), migrations: [], synchronize: true });
    open.push(ds);
    await ds.getRepository(Widget).save({ id: 'w', label: 'synced' });
    assert.deepEqual(await ds.query(`SELECT label FROM "${schema}".widgets`), [
      { label: 'synced' },
    ]);
  });

  void test('migrationsRun: false connects without migrating (a migrate Job owns them)', async () => {
    const schema = `nomig_${suffix}`;
    upCalls = 0;
    const ds = await openPostgres({ ...schemaOptions(schema), migrationsRun: false });
    open.push(ds);
    assert.equal(upCalls, 0);
    assert.deepEqual(await ds.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]), []);
    assert.deepEqual(await runMigrations(ds), ['CreateWidgets1700000000000']);
    assert.equal(upCalls, 1);
  });

  void test('synchronize is off unless asked for', () => {
    const ds = createPostgresDataSource(schemaOptions('whatever'));
    assert.equal(ds.options.synchronize, false);
    assert.equal(ds.options.migrationsTableName, 'migrations');
    assert.equal((ds.options as { schema?: string }).schema, 'whatever');
  });

  void test('an invalid schema name is refused before touching the database', async () => {
    await assert.rejects(openPostgres(schemaOptions('Robert"); DROP')), { code: 'INVALID_NAME' });
  });

  void test('an unreachable server is a PostgresUnavailableError', async () => {
    await assert.rejects(
      openPostgres({
        ...schemaOptions('svc'),
        url: 'postgres://root@127.0.0.1:1/x',
        connectTimeoutMs: 2000,
      }),
      PostgresUnavailableError,
    );
  });

  void test('pingPostgres resolves while connected and rejects once closed', async () => {
    const ds = await openPostgres(schemaOptions(`svc_${suffix}`));
    await pingPostgres(ds, 1000);
    await ds.destroy();
    await assert.rejects(pingPostgres(ds, 1000));
  });
});
