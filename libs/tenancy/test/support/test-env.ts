import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client } from 'pg';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { TENANCY_ENTITIES, TENANCY_MIGRATIONS, TENANCY_SCHEMA } from '../../src';

export const ADMIN_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

export function randomSuffix(): string {
  return randomBytes(6).toString('hex');
}

/** Counts every SQL statement a DataSource sends (the verifier's hot path must send none). */
export class QueryCounter implements TypeOrmLogger {
  count = 0;
  readonly statements: string[] = [];
  logQuery(query: string): void {
    this.count++;
    this.statements.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
  reset(): void {
    this.count = 0;
    this.statements.length = 0;
  }
}

/** A throw-away database per test file, dropped at the end. */
export class TestDatabase {
  private constructor(
    readonly name: string,
    readonly url: string,
  ) {}

  static async create(): Promise<TestDatabase> {
    const name = `tenancy_it_${randomSuffix()}`;
    const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const url = new URL(ADMIN_DATABASE_URL);
    url.pathname = `/${name}`;
    return new TestDatabase(name, url.toString());
  }

  /** A DataSource as a service would build it: tenancy entities + migrations, its own migrations table. */
  async dataSource(
    options: { counter?: QueryCounter; migrationsTableName?: string; migrate?: boolean } = {},
  ): Promise<DataSource> {
    const dataSource = new DataSource({
      type: 'postgres',
      url: this.url,
      schema: TENANCY_SCHEMA,
      entities: [...TENANCY_ENTITIES],
      migrations: [...TENANCY_MIGRATIONS],
      migrationsTableName: options.migrationsTableName ?? 'tenancy_test_migrations',
      ...(options.counter === undefined ? {} : { logger: options.counter }),
    });
    await dataSource.initialize();
    // The migrations table lives in the DataSource's schema, which the first migration creates.
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS ${TENANCY_SCHEMA}`);
    if (options.migrate !== false) await dataSource.runMigrations();
    return dataSource;
  }

  async drop(): Promise<void> {
    const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}

export function natsConnection(): Promise<NatsConnection> {
  return connect({ servers: NATS_URL, name: 'tenancy-it' });
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the elapsed milliseconds. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  stepMs = 10,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs)
      throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
