import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '@cdp/contracts';
import {
  InMemoryApiKeyRepository,
  InMemoryWorkspaceRepository,
  ManualClock,
} from '../testing/in-memory-tenancy.repositories';
import { hashSecret } from '../domain/key-hash';
import { parseApiKey } from '../domain/api-key-format';
import { ApiKeyService } from './api-key.service';
import { BootstrapWorkspaceUseCase } from './bootstrap-workspace.use-case';
import { LocalKeyChangeBus } from './local-key-change-bus';
import { type KeyChangedEvent, type TenantContext } from './ports';
import { WorkspaceService } from './workspace.service';

async function setup() {
  const clock = new ManualClock();
  const keys = new InMemoryApiKeyRepository();
  const bus = new LocalKeyChangeBus();
  const events: KeyChangedEvent[] = [];
  bus.onKeyChanged((e) => events.push(e));
  const apiKeys = new ApiKeyService(keys, bus, clock);
  const workspaces = new WorkspaceService(new InMemoryWorkspaceRepository(), clock);
  const bootstrap = new BootstrapWorkspaceUseCase(workspaces, apiKeys);
  const a = await bootstrap.execute({ name: 'A' });
  const b = await bootstrap.execute({ name: 'B' });
  const actor = (r: typeof a): TenantContext => ({
    workspaceId: r.workspace.id,
    keyId: r.apiKey.id,
    scopes: r.apiKey.scopes,
  });
  return {
    clock,
    keys,
    apiKeys,
    workspaces,
    bootstrap,
    events,
    a,
    b,
    adminA: actor(a),
    adminB: actor(b),
  };
}

const is = (kind: string, code?: string) => (e: unknown) =>
  e instanceof DomainError && e.kind === kind && (code === undefined || e.code === code);

void describe('ApiKeyService', () => {
  void it('returns the plaintext once and stores only the hash of its secret', async () => {
    const { apiKeys, keys, adminA } = await setup();
    const issued = await apiKeys.create(adminA, {
      name: 'reader',
      scopes: ['profiles:read', 'profiles:read'],
    });
    const parsed = parseApiKey(issued.plaintext)!;
    assert.equal(parsed.keyId, issued.apiKey.id);
    const row = keys.rows.get(issued.apiKey.id)!;
    assert.equal(row.secretHash, hashSecret(parsed.secret));
    assert.ok(!JSON.stringify([...keys.rows.values()]).includes(parsed.secret));
    assert.deepEqual(issued.apiKey.scopes, ['profiles:read']);
    const listed = await apiKeys.list(adminA);
    assert.ok(listed.every((v) => !('secretHash' in v) && !('plaintext' in v)));
  });

  void it('a key cannot grant or rotate into scopes it does not hold', async () => {
    const { apiKeys, adminA } = await setup();
    const manager = await apiKeys.create(adminA, {
      name: 'mgr',
      scopes: ['keys:write', 'crm:read'],
    });
    const asManager: TenantContext = {
      workspaceId: adminA.workspaceId,
      keyId: manager.apiKey.id,
      scopes: manager.apiKey.scopes,
    };
    await assert.rejects(
      apiKeys.create(asManager, { name: 'x', scopes: ['admin'] }),
      is('forbidden', 'api_key.scope_escalation'),
    );
    await assert.rejects(
      apiKeys.create(asManager, { name: 'x', scopes: ['crm:write'] }),
      is('forbidden'),
    );
    await apiKeys.create(asManager, { name: 'ok', scopes: ['crm:read'] });
    await assert.rejects(
      apiKeys.rotate(asManager, adminA.keyId),
      is('forbidden', 'api_key.scope_escalation'),
    );
  });

  void it('validates name, scopes and expiry', async () => {
    const { apiKeys, adminA, clock } = await setup();
    await assert.rejects(
      apiKeys.create(adminA, { name: ' ', scopes: ['admin'] }),
      is('invalid', 'api_key.invalid_name'),
    );
    await assert.rejects(
      apiKeys.create(adminA, { name: 'x', scopes: [] }),
      is('invalid', 'api_key.no_scope'),
    );
    await assert.rejects(
      apiKeys.create(adminA, { name: 'x', scopes: ['root'] }),
      is('invalid', 'api_key.unknown_scope'),
    );
    await assert.rejects(
      apiKeys.create(adminA, { name: 'x', scopes: ['admin'], expiresAt: clock.now() }),
      is('invalid', 'api_key.expiry_in_past'),
    );
  });

  void it("another workspace's key is not found for get, rotate and revoke (never forbidden)", async () => {
    const { apiKeys, adminA, b } = await setup();
    await assert.rejects(apiKeys.get(adminA, b.apiKey.id), is('not_found', 'api_key.not_found'));
    await assert.rejects(apiKeys.rotate(adminA, b.apiKey.id), is('not_found'));
    await assert.rejects(apiKeys.revoke(adminA, b.apiKey.id), is('not_found'));
    await assert.rejects(apiKeys.get(adminA, '../../etc'), is('not_found'));
    assert.ok((await apiKeys.list(adminA)).every((k) => k.workspaceId === adminA.workspaceId));
  });

  void it('rotate issues a successor with the same scopes, broadcasts, and refuses a second rotation', async () => {
    const { apiKeys, adminA, events } = await setup();
    const issued = await apiKeys.create(adminA, { name: 'x', scopes: ['segments:write'] });
    const rotated = await apiKeys.rotate(adminA, issued.apiKey.id);
    assert.deepEqual(rotated.apiKey.scopes, ['segments:write']);
    assert.equal(rotated.apiKey.rotatedFrom, issued.apiKey.id);
    assert.equal(rotated.previous.status, 'rotated');
    assert.equal(rotated.previous.replacedBy, rotated.apiKey.id);
    assert.deepEqual(events.at(-1), {
      workspaceId: adminA.workspaceId,
      keyId: issued.apiKey.id,
      change: 'rotated',
    });
    await assert.rejects(
      apiKeys.rotate(adminA, issued.apiKey.id),
      is('conflict', 'api_key.already_rotated'),
    );
  });

  void it('revoke is idempotent, keeps the first date and broadcasts', async () => {
    const { apiKeys, adminA, clock, events } = await setup();
    const issued = await apiKeys.create(adminA, { name: 'x', scopes: ['crm:read'] });
    const first = await apiKeys.revoke(adminA, issued.apiKey.id);
    clock.advance(1000);
    const second = await apiKeys.revoke(adminA, issued.apiKey.id);
    assert.equal(first.status, 'revoked');
    assert.deepEqual(second.revokedAt, first.revokedAt);
    assert.equal(events.filter((e) => e.change === 'revoked').length, 2);
    await assert.rejects(
      apiKeys.rotate(adminA, issued.apiKey.id),
      is('conflict', 'api_key.revoked'),
    );
  });
});

void describe('WorkspaceService and bootstrap', () => {
  void it('a key sees its own workspace only', async () => {
    const { workspaces, adminA, b } = await setup();
    assert.equal((await workspaces.get(adminA, adminA.workspaceId)).name, 'A');
    await assert.rejects(
      workspaces.get(adminA, b.workspace.id),
      is('not_found', 'workspace.not_found'),
    );
    await assert.rejects(workspaces.get(adminA, 'not-a-uuid'), is('not_found'));
    assert.deepEqual(
      (await workspaces.list(adminA)).map((w) => w.name),
      ['A'],
    );
  });

  void it('bootstrap creates a workspace with an admin key, refuses an existing name unless forced', async () => {
    const { bootstrap, a } = await setup();
    assert.equal(a.created, true);
    assert.deepEqual(a.apiKey.scopes, ['admin']);
    await assert.rejects(bootstrap.execute({ name: 'A' }), is('conflict', 'workspace.exists'));
    const forced = await bootstrap.execute({ name: 'A', force: true });
    assert.equal(forced.created, false);
    assert.equal(forced.workspace.id, a.workspace.id);
    assert.notEqual(forced.apiKey.id, a.apiKey.id);
  });
});
