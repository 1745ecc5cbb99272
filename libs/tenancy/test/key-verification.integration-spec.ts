import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '@cdp/contracts';
import { type NatsConnection } from '@nats-io/transport-node';
import { type DataSource } from 'typeorm';
import {
  ApiKeyService,
  BootstrapWorkspaceUseCase,
  KeyVerifier,
  ManualClock,
  NatsKeyChangeBus,
  runBootstrapCli,
  TypeOrmApiKeyRepository,
  TypeOrmWorkspaceRepository,
  WorkspaceService,
  type BootstrapWorkspaceResult,
  type TenantContext,
} from '../src';
import {
  eventually,
  natsConnection,
  QueryCounter,
  randomSuffix,
  TestDatabase,
} from './support/test-env';

const HOUR = 3_600_000;

/** One "pod": its own DataSource (pool), NATS connection, bus, services and verifier cache. */
interface Pod {
  dataSource: DataSource;
  counter: QueryCounter;
  nats: NatsConnection;
  bus: NatsKeyChangeBus;
  verifier: KeyVerifier;
  apiKeys: ApiKeyService;
  workspaces: WorkspaceService;
  bootstrap: BootstrapWorkspaceUseCase;
}

async function startPod(db: TestDatabase, namespace: string, clock: ManualClock): Promise<Pod> {
  const counter = new QueryCounter();
  const dataSource = await db.dataSource({ counter });
  const nats = await natsConnection();
  const bus = new NatsKeyChangeBus(nats, { namespace });
  bus.start();
  await nats.flush(); // the subscription is registered on the server before anyone publishes
  const keys = new TypeOrmApiKeyRepository(dataSource);
  // A long positive TTL: any rejection seen below comes from the NATS invalidation, not from expiry.
  const verifier = new KeyVerifier(keys, bus, clock, { positiveTtlMs: 10 * 60_000 });
  const apiKeys = new ApiKeyService(keys, bus, clock);
  const workspaces = new WorkspaceService(new TypeOrmWorkspaceRepository(dataSource), clock);
  return {
    dataSource,
    counter,
    nats,
    bus,
    verifier,
    apiKeys,
    workspaces,
    bootstrap: new BootstrapWorkspaceUseCase(workspaces, apiKeys),
  };
}

async function stopPod(pod: Pod): Promise<void> {
  pod.verifier.close();
  pod.bus.close();
  await pod.nats.drain();
  await pod.dataSource.destroy();
}

const rejectedWith = (code: string) => (e: unknown) =>
  e instanceof DomainError && e.kind === 'unauthenticated' && e.code === code;

void describe('tenancy against real Postgres and NATS', () => {
  let db: TestDatabase;
  let pod1: Pod;
  let pod2: Pod;
  let acme: BootstrapWorkspaceResult;
  let admin: TenantContext;
  const clock = new ManualClock(new Date());
  const namespace = `t${randomSuffix()}`;

  before(async () => {
    db = await TestDatabase.create();
    pod1 = await startPod(db, namespace, clock);
    pod2 = await startPod(db, namespace, clock);
    acme = await pod1.bootstrap.execute({ name: 'acme' });
    admin = { workspaceId: acme.workspace.id, keyId: acme.apiKey.id, scopes: acme.apiKey.scopes };
  });

  after(async () => {
    await stopPod(pod1);
    await stopPod(pod2);
    await db.drop();
  });

  void it('bootstrap creates a workspace and an admin key that verifies; the second verification sends no query', async () => {
    assert.equal(acme.created, true);
    assert.deepEqual(acme.apiKey.scopes, ['admin']);
    pod2.counter.reset();
    const first = await pod2.verifier.verify(acme.plaintext);
    assert.deepEqual(first, {
      workspaceId: acme.workspace.id,
      keyId: acme.apiKey.id,
      scopes: ['admin'],
    });
    assert.equal(pod2.counter.count, 1, 'the first verification reads the key once');
    assert.match(pod2.counter.statements[0] ?? '', /FROM "tenancy"\."api_keys"/);
    pod2.counter.reset();
    for (let i = 0; i < 100; i++) await pod2.verifier.verify(acme.plaintext);
    assert.equal(pod2.counter.count, 0, 'cached verifications send no query');
  });

  void it('stores only the SHA-256 of the secret', async () => {
    const rows: { secret_hash: string }[] = await pod1.dataSource.query(
      `SELECT secret_hash FROM tenancy.api_keys WHERE id = $1`,
      [acme.apiKey.id],
    );
    assert.match(rows[0]?.secret_hash ?? '', /^[0-9a-f]{64}$/);
    const all = JSON.stringify(await pod1.dataSource.query(`SELECT * FROM tenancy.api_keys`));
    assert.ok(!all.includes(acme.plaintext.slice(32)), 'no secret in the table');
  });

  void it('bootstrap refuses an existing workspace name unless forced', async () => {
    await assert.rejects(
      pod1.bootstrap.execute({ name: 'acme' }),
      (e: unknown) => e instanceof DomainError && e.code === 'workspace.exists',
    );
    const forced = await pod1.bootstrap.execute({ name: 'acme', force: true });
    assert.equal(forced.workspace.id, acme.workspace.id);
    assert.equal((await pod2.verifier.verify(forced.plaintext)).workspaceId, acme.workspace.id);
  });

  void it('revoking in pod 1 makes pod 2 (own cache, same DB and NATS) reject the key within 1 s', async () => {
    const issued = await pod1.apiKeys.create(admin, { name: 'reader', scopes: ['profiles:read'] });
    await pod1.verifier.verify(issued.plaintext);
    await pod2.verifier.verify(issued.plaintext);
    pod2.counter.reset();
    await pod2.verifier.verify(issued.plaintext);
    assert.equal(pod2.counter.count, 0, 'pod 2 has the key cached');

    const invalidationsBefore = pod2.verifier.stats.invalidations;
    await pod1.apiKeys.revoke(admin, issued.apiKey.id);
    await assert.rejects(
      pod1.verifier.verify(issued.plaintext),
      rejectedWith('auth.api_key_revoked'),
      'pod 1 at once',
    );
    const elapsed = await eventually(async () => {
      try {
        await pod2.verifier.verify(issued.plaintext);
        return false;
      } catch (error) {
        return rejectedWith('auth.api_key_revoked')(error);
      }
    }, 1000);
    assert.ok(elapsed < 1000, `pod 2 rejected after ${elapsed} ms`);
    assert.ok(
      pod2.verifier.stats.invalidations > invalidationsBefore,
      'through the NATS invalidation',
    );
  });

  void it('rotation keeps the old key valid in every pod during the grace period, then rejects it', async () => {
    const issued = await pod1.apiKeys.create(admin, { name: 'crm sync', scopes: ['crm:write'] });
    await pod2.verifier.verify(issued.plaintext); // cached in pod 2 before the rotation
    const rotated = await pod1.apiKeys.rotate(admin, issued.apiKey.id, { graceMs: HOUR });
    assert.equal(rotated.previous.status, 'rotated');

    await eventually(
      async () => (await pod2.verifier.verify(issued.plaintext)).keyId === issued.apiKey.id,
      1000,
    );
    assert.equal((await pod2.verifier.verify(rotated.plaintext)).keyId, rotated.apiKey.id);
    clock.advance(HOUR - 1000);
    await pod1.verifier.verify(issued.plaintext);
    await pod2.verifier.verify(issued.plaintext);
    clock.advance(1000);
    await assert.rejects(
      pod1.verifier.verify(issued.plaintext),
      rejectedWith('auth.api_key_expired'),
    );
    await assert.rejects(
      pod2.verifier.verify(issued.plaintext),
      rejectedWith('auth.api_key_expired'),
    );
    assert.deepEqual((await pod2.verifier.verify(rotated.plaintext)).scopes, ['crm:write']);

    const stored = await pod1.apiKeys.get(admin, issued.apiKey.id);
    assert.equal(stored.status, 'expired');
    assert.equal(stored.replacedBy, rotated.apiKey.id);
  });

  void it('two concurrent rotations of one key: exactly one wins', async () => {
    const issued = await pod1.apiKeys.create(admin, { name: 'race', scopes: ['events:read'] });
    const results = await Promise.allSettled([
      pod1.apiKeys.rotate(admin, issued.apiKey.id),
      pod2.apiKeys.rotate(admin, issued.apiKey.id),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const failure = results.find((r) => r.status === 'rejected');
    assert.ok(
      failure?.status === 'rejected' &&
        failure.reason instanceof DomainError &&
        failure.reason.kind === 'conflict',
    );
  });

  void it("every lookup is scoped: another workspace's key is not found", async () => {
    const other = await pod1.bootstrap.execute({ name: `other-${randomSuffix()}` });
    const keys = new TypeOrmApiKeyRepository(pod1.dataSource);
    assert.equal(await keys.findInWorkspace(acme.workspace.id, other.apiKey.id), undefined);
    assert.equal(await keys.revoke(acme.workspace.id, other.apiKey.id, clock.now()), undefined);
    assert.ok(
      (await keys.listByWorkspace(acme.workspace.id)).every(
        (k) => k.workspaceId === acme.workspace.id,
      ),
    );
    assert.equal(
      (await pod2.verifier.verify(other.plaintext)).workspaceId,
      other.workspace.id,
      'untouched',
    );
  });

  void it('the migration is idempotent: another service running it with its own migrations table is a no-op', async () => {
    const again = await db.dataSource({ migrationsTableName: 'another_service_migrations' });
    try {
      const rows: { n: string }[] = await again.query(
        `SELECT count(*) AS n FROM tenancy.workspaces`,
      );
      assert.ok(Number(rows[0]?.n) >= 2, 'existing data kept');
    } finally {
      await again.destroy();
    }
  });

  void it('the bootstrap command prints the admin key once, as JSON', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const out = { log: (l: string) => lines.push(l), error: (l: string) => errors.push(l) };
    const code = await runBootstrapCli(['--name', 'cli-workspace'], { DATABASE_URL: db.url }, out);
    assert.equal(code, 0, errors.join('\n'));
    const printed = JSON.parse(lines[0] ?? '{}') as {
      workspaceId: string;
      key: string;
      scopes: string[];
    };
    assert.deepEqual(printed.scopes, ['admin']);
    assert.equal((await pod2.verifier.verify(printed.key)).workspaceId, printed.workspaceId);
    assert.equal(
      await runBootstrapCli(['--name', 'cli-workspace'], { DATABASE_URL: db.url }, out),
      1,
      'refuses an existing name',
    );
    assert.equal(await runBootstrapCli([], { DATABASE_URL: db.url }, out), 2, 'usage');
  });
});
