import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identifierKey, type Identifier } from './identifier';
import { IdentityConfig, type SourceKind } from './identity-config';
import { type Observation } from './observation';
import { lookupKeys, resolveObservation, type ProfileState } from './resolve-observation';

const config = IdentityConfig.from({ customTypes: [{ type: 'device_id' }] });
const id = (key: string): Identifier => {
  const [type = '', value = ''] = key.split(':');
  return { type, value };
};
const observe = (
  keys: string[],
  kind: SourceKind = 'server',
  previousId?: string,
): Observation => ({
  workspaceId: 'w1',
  identifiers: keys.map(id),
  ...(previousId === undefined ? {} : { previousId }),
  evidence: {
    source: 'event',
    messageId: 'msg-9',
    sourceId: 'src_1',
    sourceKind: kind,
    observedAt: '2025-03-01T00:00:00.000Z',
  },
});
const profile = (pid: string, day: number, keys: string[]): ProfileState => ({
  id: pid,
  version: 3,
  firstSeen: {
    source: 'event',
    messageId: `first-${pid}`,
    sourceId: 'src_1',
    sourceKind: 'browser',
    observedAt: `2025-01-${String(day).padStart(2, '0')}T00:00:00.000Z`,
  },
  identifiers: keys.map(id),
});
const keysOf = (identifiers: readonly Identifier[]): string[] => identifiers.map(identifierKey);

test('no profile holds any identifier: a profile is created with all of them', () => {
  const plan = resolveObservation(
    observe(['anonymous_id:a1', 'user_id:u1']),
    { profiles: [] },
    config,
    'p-new',
  );
  assert.equal(plan.outcome, 'created');
  assert.equal(plan.profileId, 'p-new');
  assert.deepEqual(keysOf(plan.attach), ['user_id:u1', 'anonymous_id:a1'], 'priority order');
  assert.deepEqual(keysOf(plan.link?.identifiers ?? []), ['user_id:u1', 'anonymous_id:a1']);
  assert.equal(plan.steps.at(-1)?.rule, 'resolve.create');
});

test('one profile: the missing identifiers are attached', () => {
  const plan = resolveObservation(
    observe(['anonymous_id:a2', 'user_id:u1']),
    { profiles: [profile('p1', 1, ['user_id:u1', 'anonymous_id:a1'])] },
    config,
    'unused',
  );
  assert.equal(plan.outcome, 'attached');
  assert.equal(plan.profileId, 'p1');
  assert.deepEqual(keysOf(plan.attach), ['anonymous_id:a2']);
  assert.deepEqual(plan.expectedVersions, { p1: 3 });
});

test('several profiles: they merge into the oldest, whatever order they come in', () => {
  const plan = resolveObservation(
    observe(['anonymous_id:a1', 'email:e@x.io']),
    {
      profiles: [
        profile('p-young', 20, ['email:e@x.io']),
        profile('p-old', 2, ['anonymous_id:a1']),
      ],
    },
    config,
    'unused',
  );
  assert.equal(plan.outcome, 'merged');
  assert.deepEqual(plan.merge, { survivorId: 'p-old', mergedIds: ['p-young'] });
  assert.equal(plan.profileId, 'p-old');
  const step = plan.steps.find((s) => s.rule === 'resolve.merge_oldest_survives');
  assert.match(step?.message ?? '', /merged p-young into p-old, the oldest/);
});

test('replaying an observation changes nothing', () => {
  const plan = resolveObservation(
    observe(['anonymous_id:a1', 'user_id:u1']),
    { profiles: [profile('p1', 1, ['user_id:u1', 'anonymous_id:a1'])] },
    config,
    'unused',
  );
  assert.equal(plan.outcome, 'unchanged');
  assert.deepEqual(plan.attach, []);
  assert.equal(plan.merge, undefined);
});

test('limit: a new user_id with a known email does not glue two customers together', () => {
  const plan = resolveObservation(
    observe(['user_id:u2', 'email:shared@x.io']),
    { profiles: [profile('p1', 1, ['user_id:u1', 'email:shared@x.io'])] },
    config,
    'p2',
  );
  assert.equal(
    plan.outcome,
    'created',
    'the email (lower priority) is dropped, u2 gets its own profile',
  );
  assert.equal(plan.profileId, 'p2');
  assert.deepEqual(keysOf(plan.resolved), ['user_id:u2']);
  assert.equal(plan.link, undefined);
  const [conflict] = plan.conflicts;
  assert.equal(plan.conflicts.length, 1);
  assert.equal(conflict?.rule, 'limit.exceeded');
  assert.deepEqual(conflict?.dropped, id('email:shared@x.io'));
  assert.deepEqual(conflict?.limits, [{ type: 'user_id', limit: 1, count: 2 }]);
  assert.deepEqual(conflict?.profileIds, ['p1']);
  assert.equal(conflict?.evidence.messageId, 'msg-9');
});

test('limit: drops lowest priority first and retries until the result fits', () => {
  // u2 + a device and an anonymous id both held by u1's profile: the device goes first,
  // then the anonymous id; u2 and its new email form a new profile.
  const plan = resolveObservation(
    observe(['user_id:u2', 'email:new@x.io', 'anonymous_id:a1', 'device_id:d1']),
    { profiles: [profile('p1', 1, ['user_id:u1', 'anonymous_id:a1', 'device_id:d1'])] },
    config,
    'p2',
  );
  assert.deepEqual(
    plan.conflicts.map((c) => identifierKey(c.dropped)),
    ['device_id:d1', 'anonymous_id:a1'],
  );
  assert.equal(plan.outcome, 'created');
  assert.deepEqual(keysOf(plan.resolved), ['user_id:u2', 'email:new@x.io']);
});

test('limit: only identifiers that cause the overflow are dropped', () => {
  const emails = [1, 2, 3, 4, 5].map((n) => `email:e${n}@x.io`);
  const plan = resolveObservation(
    observe(['user_id:u1', 'email:e6@x.io', 'anonymous_id:a9']),
    { profiles: [profile('p1', 1, ['user_id:u1', ...emails])] },
    config,
    'unused',
  );
  assert.deepEqual(
    plan.conflicts.map((c) => identifierKey(c.dropped)),
    ['email:e6@x.io'],
  );
  assert.deepEqual(keysOf(plan.attach), ['anonymous_id:a9'], 'the harmless anonymous id is kept');
  assert.equal(plan.outcome, 'attached');
});

test('limit: a profile already over a lowered limit still takes identifiers of other types', () => {
  const strict = IdentityConfig.from({ limits: { email: 1 } });
  const plan = resolveObservation(
    observe(['email:a@x.io', 'anonymous_id:a1']),
    { profiles: [profile('p1', 1, ['email:a@x.io', 'email:b@x.io'])] },
    strict,
    'unused',
  );
  assert.deepEqual(plan.conflicts, []);
  assert.deepEqual(keysOf(plan.attach), ['anonymous_id:a1']);
});

test('priority is configurable: with email first, the user_id is what gets dropped', () => {
  const emailFirst = IdentityConfig.from({ priority: ['email'] });
  const plan = resolveObservation(
    observe(['user_id:u2', 'email:shared@x.io']),
    { profiles: [profile('p1', 1, ['user_id:u1', 'email:shared@x.io'])] },
    emailFirst,
    'p2',
  );
  assert.deepEqual(
    plan.conflicts.map((c) => identifierKey(c.dropped)),
    ['user_id:u2'],
  );
  assert.equal(plan.profileId, 'p1');
  assert.equal(plan.outcome, 'unchanged');
});

test('merge protection off (flat matching): limits are reported but not enforced', () => {
  const flat = IdentityConfig.from({ mergeProtection: false });
  const plan = resolveObservation(
    observe(['user_id:u2', 'email:shared@x.io']),
    { profiles: [profile('p1', 1, ['user_id:u1', 'email:shared@x.io'])] },
    flat,
    'unused',
  );
  assert.equal(plan.outcome, 'attached');
  assert.deepEqual(plan.conflicts, []);
  assert.ok(plan.steps.some((s) => s.rule === 'limit.ignored_flat_matching'));
});

test('browser trust: may link an anonymous profile to a known one', () => {
  const plan = resolveObservation(
    observe(['email:e@x.io', 'anonymous_id:a1'], 'browser'),
    {
      profiles: [
        profile('p-known', 1, ['email:e@x.io']),
        profile('p-anon', 5, ['anonymous_id:a1']),
      ],
    },
    config,
    'unused',
  );
  assert.equal(plan.outcome, 'merged');
  assert.deepEqual(plan.merge, { survivorId: 'p-known', mergedIds: ['p-anon'] });
});

test('browser trust: may not merge two known profiles; a server source may', () => {
  const profiles = [
    profile('p1', 1, ['email:e@x.io', 'anonymous_id:a1']),
    profile('p2', 2, ['phone:+14155552671', 'anonymous_id:a2']),
  ];
  const browser = resolveObservation(
    observe(['email:e@x.io', 'phone:+14155552671'], 'browser'),
    { profiles },
    config,
    'unused',
  );
  assert.equal(browser.outcome, 'unchanged');
  assert.equal(browser.profileId, 'p1');
  assert.deepEqual(
    browser.conflicts.map((c) => [c.rule, identifierKey(c.dropped)]),
    [['trust.untrusted_merge', 'phone:+14155552671']],
  );
  assert.match(browser.conflicts[0]?.message ?? '', /browser source may not merge known profiles/);

  const server = resolveObservation(
    observe(['email:e@x.io', 'phone:+14155552671'], 'server'),
    { profiles },
    config,
    'unused',
  );
  assert.equal(server.outcome, 'merged');
  assert.deepEqual(server.merge, { survivorId: 'p1', mergedIds: ['p2'] });
});

test('alias: previousId is read as anonymous_id unless the graph knows it as a user_id', () => {
  const anon = resolveObservation(
    observe(['user_id:u1'], 'server', 'a-old'),
    { profiles: [profile('p1', 1, ['anonymous_id:a-old'])] },
    config,
    'unused',
  );
  assert.equal(anon.steps[0]?.rule, 'alias.previous_id_is_anonymous_id');
  assert.equal(anon.outcome, 'attached');
  assert.deepEqual(keysOf(anon.attach), ['user_id:u1']);
  assert.deepEqual(lookupKeys(observe(['user_id:u1'], 'server', 'a-old')), [
    'anonymous_id:a-old',
    'user_id:a-old',
    'user_id:u1',
  ]);

  // Renaming a user id: the old one is a known user_id; with 1 user_id ever this is refused.
  const rename = resolveObservation(
    observe(['user_id:u-new'], 'server', 'u-old'),
    { profiles: [profile('p1', 1, ['user_id:u-old'])] },
    config,
    'p2',
  );
  assert.equal(rename.steps[0]?.rule, 'alias.previous_id_is_user_id');
  assert.equal(rename.conflicts[0]?.rule, 'limit.exceeded');
  const twoUserIds = IdentityConfig.from({ limits: { user_id: 2 } });
  const allowed = resolveObservation(
    observe(['user_id:u-new'], 'server', 'u-old'),
    { profiles: [profile('p1', 1, ['user_id:u-old'])] },
    twoUserIds,
    'p2',
  );
  assert.equal(allowed.outcome, 'attached');
  assert.equal(allowed.profileId, 'p1');
});

test('an observation without identifiers is ignored, and says so', () => {
  const plan = resolveObservation(observe([]), { profiles: [] }, config, 'unused');
  assert.equal(plan.outcome, 'ignored');
  assert.equal(plan.profileId, null);
  assert.equal(plan.steps[0]?.rule, 'resolve.no_identifiers');
});

test('the plan is deterministic: same input, same plan', () => {
  const input = () =>
    resolveObservation(
      observe(['device_id:d1', 'email:b@x.io', 'anonymous_id:a1', 'user_id:u9']),
      {
        profiles: [
          profile('p1', 1, ['user_id:u1', 'device_id:d1']),
          profile('p2', 1, ['email:b@x.io']),
        ],
      },
      config,
      'p3',
    );
  assert.deepEqual(input(), input());
});

test('kept apart: identifiers of two parts of a split never meet again, new ones still attach', () => {
  const mother = profile('p1', 1, ['email:mom@x.io', 'anonymous_id:a1']);
  const son = profile('p2', 2, ['email:son@x.io']);
  const keptApart = new Map([
    ['email:mom@x.io', [{ splitId: 'split_1', part: 0 }]],
    ['anonymous_id:a1', [{ splitId: 'split_1', part: 0 }]],
    ['email:son@x.io', [{ splitId: 'split_1', part: 1 }]],
  ]);
  const plan = resolveObservation(
    observe(['email:son@x.io', 'anonymous_id:a1', 'phone:+14155550123']),
    { profiles: [mother, son], keptApart },
    config,
    'p-new',
  );
  assert.equal(plan.outcome, 'attached');
  assert.equal(plan.profileId, 'p2');
  assert.deepEqual(plan.attach.map(identifierKey), ['phone:+14155550123']);
  assert.deepEqual(
    plan.conflicts.map((c) => [c.rule, identifierKey(c.dropped)]),
    [['separation.kept_apart', 'anonymous_id:a1']],
  );
  assert.ok(plan.steps.some((s) => s.rule === 'separation.kept_apart'));

  // Without the record, the same observation merges them (trusted source).
  const merged = resolveObservation(
    observe(['email:son@x.io', 'anonymous_id:a1']),
    { profiles: [mother, son] },
    config,
    'p-new',
  );
  assert.equal(merged.outcome, 'merged');
});
