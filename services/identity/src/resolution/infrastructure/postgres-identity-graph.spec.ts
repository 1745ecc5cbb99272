import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advisoryLockKeys, linkHash } from './postgres-identity-graph';
import { profileMergedJson, profileSplitJson } from './identity-wire';

test('advisory lock keys are 64-bit, unique, sorted and independent of the input order', () => {
  const keys = ['user_id:u1', 'email:a@x.io', 'anonymous_id:a1', 'email:a@x.io'];
  const locks = advisoryLockKeys('ws_1', keys);
  assert.equal(locks.length, 3);
  const values = locks.map(BigInt);
  for (let i = 1; i < values.length; i++) assert.ok(values[i - 1]! < values[i]!);
  for (const v of values) assert.ok(v >= -(2n ** 63n) && v < 2n ** 63n);
  assert.deepEqual(advisoryLockKeys('ws_1', [...keys].reverse()), locks);
});

test('lock keys are scoped by workspace: tenants never wait on each other', () => {
  const [a] = advisoryLockKeys('ws_a', ['email:a@x.io']);
  const [b] = advisoryLockKeys('ws_b', ['email:a@x.io']);
  assert.notEqual(a, b);
});

test('a link hash does not depend on the order of its identifiers', () => {
  const evidence = {
    source: 'event' as const,
    messageId: 'm1',
    sourceId: 's',
    sourceKind: 'browser' as const,
    observedAt: '2025-01-01T00:00:00.000Z',
  };
  const a = { type: 'anonymous_id', value: 'a1' };
  const u = { type: 'user_id', value: 'u1' };
  assert.equal(
    linkHash({ identifiers: [a, u], evidence }),
    linkHash({ identifiers: [u, a], evidence }),
  );
});

test('ProfileMerged and ProfileSplit are published as proto3 JSON (enum names, camelCase)', () => {
  const merged = profileMergedJson({
    kind: 'ProfileMerged',
    mergeId: 'merge_1',
    workspaceId: 'ws',
    survivingProfileId: 'p1',
    mergedProfileIds: ['p2'],
    identifiers: [{ type: 'user_id', value: 'u1' }],
    ruleId: 'observed_together',
    evidence: [
      {
        source: 'crm',
        messageId: 'crm-1',
        sourceId: 'crm',
        sourceKind: 'crm',
        observedAt: '2025-01-01T00:00:00.000Z',
        identifiers: [{ type: 'user_id', value: 'u1' }],
      },
    ],
    actor: { type: 'system', id: 'identity-resolution' },
    steps: [],
  });
  assert.deepEqual(merged, {
    mergeId: 'merge_1',
    survivingProfileId: 'p1',
    mergedProfileIds: ['p2'],
    identifiers: [{ type: 'user_id', value: 'u1' }],
    ruleId: 'observed_together',
    evidence: [
      {
        source: 'EVIDENCE_SOURCE_CRM',
        sourceId: 'crm-1',
        identifiers: [{ type: 'user_id', value: 'u1' }],
        observedAt: '2025-01-01T00:00:00.000Z',
      },
    ],
    actor: { type: 'ACTOR_TYPE_SYSTEM', id: 'identity-resolution' },
  });
  const split = profileSplitJson({
    kind: 'ProfileSplit',
    splitId: 'split_1',
    workspaceId: 'ws',
    sourceProfileId: 'p1',
    parts: [{ profileId: 'p1', identifiers: [] }],
    reason: '',
    actor: { type: 'api_key', id: 'key_1' },
  });
  assert.deepEqual(split, {
    splitId: 'split_1',
    sourceProfileId: 'p1',
    parts: [{ profileId: 'p1', identifiers: [] }],
    actor: { type: 'ACTOR_TYPE_API_KEY', id: 'key_1' },
  });
});
