import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '@cdp/contracts';
import {
  InMemoryApiKeyRepository,
  InMemoryWorkspaceRepository,
  ManualClock,
} from '../testing/in-memory-tenancy.repositories';
import { formatApiKey, parseApiKey } from '../domain/api-key-format';
import { ApiKeyService } from './api-key.service';
import { BootstrapWorkspaceUseCase } from './bootstrap-workspace.use-case';
import { KeyVerifier } from './key-verifier';
import { LocalKeyChangeBus } from './local-key-change-bus';
import { WorkspaceService } from './workspace.service';

const HOUR = 3_600_000;

async function setup(cache = {}) {
  const clock = new ManualClock();
  const keys = new InMemoryApiKeyRepository();
  const bus = new LocalKeyChangeBus();
  const apiKeys = new ApiKeyService(keys, bus, clock);
  const workspaces = new WorkspaceService(new InMemoryWorkspaceRepository(), clock);
  const boot = await new BootstrapWorkspaceUseCase(workspaces, apiKeys).execute({ name: 'acme' });
  const verifier = new KeyVerifier(keys, bus, clock, cache);
  const admin = {
    workspaceId: boot.workspace.id,
    keyId: boot.apiKey.id,
    scopes: boot.apiKey.scopes,
  };
  return { clock, keys, bus, apiKeys, verifier, boot, admin };
}

async function rejects(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(
    promise,
    (e: unknown) => e instanceof DomainError && e.kind === 'unauthenticated' && e.code === code,
  );
}

void describe('KeyVerifier', () => {
  void it('resolves workspace, key id and scopes; the second call is served from the cache', async () => {
    const { verifier, keys, boot } = await setup();
    const first = await verifier.verify(boot.plaintext);
    assert.deepEqual(first, {
      workspaceId: boot.workspace.id,
      keyId: boot.apiKey.id,
      scopes: ['admin'],
    });
    await verifier.verify(boot.plaintext);
    await verifier.verify(boot.plaintext);
    assert.equal(keys.verificationReads, 1);
    assert.equal(verifier.stats.hits, 2);
  });

  void it('concurrent misses for one key share a single read', async () => {
    const { verifier, keys, boot } = await setup();
    await Promise.all(Array.from({ length: 20 }, () => verifier.verify(boot.plaintext)));
    assert.equal(keys.verificationReads, 1);
  });

  void it('rejects a missing, malformed, unknown or wrong-secret key (same code for the last two)', async () => {
    const { verifier, boot } = await setup();
    await rejects(verifier.verify(undefined), 'auth.missing_api_key');
    await rejects(verifier.verify('not-a-key'), 'auth.invalid_api_key');
    const parsed = parseApiKey(boot.plaintext)!;
    const wrongSecret = formatApiKey(parsed.keyId, 'A'.repeat(43));
    await rejects(verifier.verify(wrongSecret), 'auth.invalid_api_key');
    await rejects(
      verifier.verify(formatApiKey('0'.repeat(24), parsed.secret)),
      'auth.invalid_api_key',
    );
    // the cached record does not make a wrong secret pass
    await verifier.verify(boot.plaintext);
    await rejects(verifier.verify(wrongSecret), 'auth.invalid_api_key');
  });

  void it('remembers unknown ids briefly (negative cache) then looks again', async () => {
    const { verifier, keys, clock } = await setup({ negativeTtlMs: 5_000 });
    const bogus = formatApiKey('0'.repeat(24), 'A'.repeat(43));
    await rejects(verifier.verify(bogus), 'auth.invalid_api_key');
    await rejects(verifier.verify(bogus), 'auth.invalid_api_key');
    assert.equal(keys.verificationReads, 1);
    clock.advance(5_000);
    await rejects(verifier.verify(bogus), 'auth.invalid_api_key');
    assert.equal(keys.verificationReads, 2);
  });

  void it('revocation reaches every verifier on the bus at once, despite their caches', async () => {
    const { verifier, keys, bus, clock, apiKeys, admin } = await setup();
    const other = new KeyVerifier(keys, bus, clock); // "another pod" sharing the bus
    const issued = await apiKeys.create(admin, { name: 'reader', scopes: ['profiles:read'] });
    await verifier.verify(issued.plaintext);
    await other.verify(issued.plaintext);
    await apiKeys.revoke(admin, issued.apiKey.id);
    await rejects(verifier.verify(issued.plaintext), 'auth.api_key_revoked');
    await rejects(other.verify(issued.plaintext), 'auth.api_key_revoked');
  });

  void it('without an invalidation message, the TTL bounds how long a revoked key is accepted', async () => {
    const { verifier, keys, clock, apiKeys, admin } = await setup({ positiveTtlMs: 60_000 });
    const isolated = new KeyVerifier(keys, new LocalKeyChangeBus(), clock); // never hears the bus
    const issued = await apiKeys.create(admin, { name: 'x', scopes: ['crm:read'] });
    await isolated.verify(issued.plaintext);
    await apiKeys.revoke(admin, issued.apiKey.id);
    await isolated.verify(issued.plaintext); // stale but bounded
    clock.advance(60_000);
    await rejects(isolated.verify(issued.plaintext), 'auth.api_key_revoked');
    await rejects(verifier.verify(issued.plaintext), 'auth.api_key_revoked');
  });

  void it('a rotated key works during the grace period, from the cache too, then is rejected', async () => {
    const { verifier, clock, apiKeys, admin } = await setup({ positiveTtlMs: 48 * HOUR });
    const issued = await apiKeys.create(admin, { name: 'x', scopes: ['crm:write'] });
    const rotated = await apiKeys.rotate(admin, issued.apiKey.id, { graceMs: 2 * HOUR });
    assert.equal((await verifier.verify(issued.plaintext)).keyId, issued.apiKey.id);
    assert.equal((await verifier.verify(rotated.plaintext)).keyId, rotated.apiKey.id);
    clock.advance(2 * HOUR - 1);
    await verifier.verify(issued.plaintext);
    clock.advance(1);
    await rejects(verifier.verify(issued.plaintext), 'auth.api_key_expired');
    assert.deepEqual((await verifier.verify(rotated.plaintext)).scopes, ['crm:write']);
  });

  void it('a resync (missed messages) clears the cache', async () => {
    const { verifier, keys, bus, boot } = await setup();
    await verifier.verify(boot.plaintext);
    bus.resync();
    await verifier.verify(boot.plaintext);
    assert.equal(keys.verificationReads, 2);
  });

  void it('a failing store is "unavailable" (503, retry), not a crash or a 401', async () => {
    const { clock, bus, boot } = await setup();
    const broken = new InMemoryApiKeyRepository();
    broken.findForVerification = () => Promise.reject(new Error('connection refused'));
    const verifier = new KeyVerifier(broken, bus, clock);
    await assert.rejects(
      verifier.verify(boot.plaintext),
      (e: unknown) => e instanceof DomainError && e.kind === 'unavailable',
    );
  });
});
