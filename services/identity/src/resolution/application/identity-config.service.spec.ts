import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdentityConfigError, type IdentityConfigInput } from '../domain/identity-config';
import {
  CONFIG_CACHE_MS,
  IdentityConfigService,
  type IdentityConfigStore,
  type StoredIdentityConfig,
} from './identity-config.service';

function memoryStore(): IdentityConfigStore & { loads: number } {
  const rows = new Map<string, StoredIdentityConfig>();
  return {
    loads: 0,
    load(workspaceId) {
      this.loads++;
      return Promise.resolve(rows.get(workspaceId));
    },
    save(workspaceId: string, input: IdentityConfigInput, actor: string) {
      const row = {
        input,
        version: (rows.get(workspaceId)?.version ?? 0) + 1,
        updatedAt: '2025-01-01T00:00:00.000Z',
        updatedBy: actor,
      };
      rows.set(workspaceId, row);
      return Promise.resolve(row);
    },
  };
}

test('rules are read through a short cache; a save applies at once in the saving process', async () => {
  const store = memoryStore();
  let now = 0;
  const service = new IdentityConfigService(store, () => now);
  assert.equal((await service.configFor('ws')).limit('email'), 5);
  await service.configFor('ws');
  assert.equal(store.loads, 1, 'cached');
  await service.replace('ws', { limits: { email: 2 } }, 'key_1');
  assert.equal((await service.configFor('ws')).limit('email'), 2);
  now += CONFIG_CACHE_MS + 1;
  await service.configFor('ws');
  assert.equal(store.loads, 2, 'read again after the cache time');
});

test('invalid rules are refused before anything is stored', async () => {
  const store = memoryStore();
  const service = new IdentityConfigService(store);
  await assert.rejects(
    service.replace('ws', { limits: { email: -1 } }, 'key_1'),
    IdentityConfigError,
  );
  assert.equal((await service.view('ws')).version, 0);
});
