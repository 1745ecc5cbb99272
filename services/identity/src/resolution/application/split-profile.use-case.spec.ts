import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '@cdp/contracts';
import { type Evidence } from '../domain/observation';
import { GraphChangedError } from './graph-changed.error';
import {
  SplitProfileUseCase,
  type LockedProfile,
  type ProfileSplitRepository,
} from './split-profile.use-case';

const ev = (messageId: string, day: number): Evidence => ({
  source: 'event',
  messageId,
  sourceId: 'src',
  sourceKind: 'browser',
  observedAt: new Date(Date.UTC(2025, 0, day)).toISOString(),
});
const tablet = { type: 'anonymous_id', value: 'tablet' };
const mom = { type: 'email', value: 'mom@x.io' };
const son = { type: 'email', value: 'son@x.io' };
const profile: LockedProfile = {
  version: 3,
  graph: {
    profileId: 'p1',
    identifiers: [
      { identifier: mom, firstSeen: ev('m1', 1) },
      { identifier: tablet, firstSeen: ev('m1', 1) },
      { identifier: son, firstSeen: ev('m2', 2) },
    ],
    links: [
      { identifiers: [mom, tablet], evidence: ev('m1', 1) },
      { identifiers: [tablet, son], evidence: ev('m2', 2) },
    ],
  },
};

function fakeRepository(options: { failures?: number; known?: boolean } = {}) {
  let failures = options.failures ?? 0;
  const applied: unknown[] = [];
  const repository: ProfileSplitRepository = {
    canonicalProfileId: (_ws, id) => Promise.resolve(options.known === false ? undefined : id),
    withProfileLocked: (_ws, _id, work) =>
      work({
        load: () => Promise.resolve(profile),
        applySplit: (result, event, version) => {
          if (failures-- > 0) return Promise.reject(new GraphChangedError('p1'));
          applied.push({ result, event, version });
          return Promise.resolve();
        },
      }),
  };
  return { repository, applied };
}

let n = 0;
const ids = { profileId: () => `new_${++n}`, splitId: () => `split_${n}` };
const command = {
  workspaceId: 'ws',
  profileId: 'p1',
  detachIdentifiers: [tablet],
  reason: 'shared tablet',
  actor: { type: 'api_key' as const, id: 'key_1' },
};

test('a split applies the components with the version it read and returns ProfileSplit', async () => {
  const { repository, applied } = fakeRepository();
  const out = await new SplitProfileUseCase(repository, ids).execute(command);
  assert.equal(out.changed, true);
  assert.equal(out.split?.sourceProfileId, 'p1');
  assert.equal(out.split?.parts.length, 3);
  assert.equal(out.split?.parts[0]?.profileId, 'p1');
  assert.equal(applied.length, 1);
  assert.equal((applied[0] as { version: number }).version, 3);
});

test('nothing to cut: no write', async () => {
  const { repository, applied } = fakeRepository();
  const out = await new SplitProfileUseCase(repository, ids).execute({
    ...command,
    detachIdentifiers: [],
  });
  assert.equal(out.changed, false);
  assert.equal(applied.length, 0);
});

test('a concurrent change re-plans the split; an unknown profile is not_found', async () => {
  const { repository, applied } = fakeRepository({ failures: 2 });
  assert.equal((await new SplitProfileUseCase(repository, ids).execute(command)).changed, true);
  assert.equal(applied.length, 1);
  const unknown = fakeRepository({ known: false });
  await assert.rejects(
    new SplitProfileUseCase(unknown.repository, ids).execute(command),
    (error: unknown) => error instanceof DomainError && error.kind === 'not_found',
  );
});
