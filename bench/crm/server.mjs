#!/usr/bin/env node
// The CRM under test, in its own process: boots the crm service (standalone run mode) against
// the real NATS and Postgres in a database of its own, bootstraps a workspace, prints one JSON
// line `CRM_BENCH_READY { url, adminKey, workspaceId, databaseUrl }` and runs until SIGTERM (then drops the
// database and the NATS namespace).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { startPlatform } from '@cdp/runtime';
import {
  ApiKeyService,
  BootstrapWorkspaceUseCase,
  LocalKeyChangeBus,
  systemClock,
  TypeOrmApiKeyRepository,
  TypeOrmWorkspaceRepository,
  WorkspaceService,
} from '@cdp/tenancy';
import { deleteNamespaceStreams, dropTestDatabase, missingDatabaseUrl } from '@cdp/testing';

const require = createRequire(import.meta.url);
const { serviceDefinition } = require(
  join(import.meta.dirname, '../../services/crm/dist/src/index.js'),
);

const database = `crm_bench_${process.pid}`;
const namespace = `crmbench-${process.pid}`;
const databaseUrl = missingDatabaseUrl(database);
const platform = await startPlatform([serviceDefinition], {
  mode: 'standalone',
  port: 0,
  env: {
    ...process.env,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    DATABASE_URL: databaseUrl,
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    NATS_NAMESPACE: namespace,
    CLICKHOUSE_URL: `chdb://${mkdtempSync(join(tmpdir(), 'crm-bench-ch-'))}`,
  },
});
const tenancy = platform.infrastructure.tenancy;
const bootstrap = new BootstrapWorkspaceUseCase(
  new WorkspaceService(new TypeOrmWorkspaceRepository(tenancy), systemClock),
  new ApiKeyService(new TypeOrmApiKeyRepository(tenancy), new LocalKeyChangeBus(), systemClock),
);
const result = await bootstrap.execute({ name: 'crm bench' });
process.stdout.write(
  `CRM_BENCH_READY ${JSON.stringify({ url: platform.url, adminKey: result.plaintext, workspaceId: result.workspace.id, databaseUrl })}\n`,
);

let closing = false;
async function close() {
  if (closing) return;
  closing = true;
  await platform.close();
  await deleteNamespaceStreams(namespace);
  await dropTestDatabase(database);
  process.exit(0);
}
process.on('SIGTERM', () => void close());
process.on('SIGINT', () => void close());
