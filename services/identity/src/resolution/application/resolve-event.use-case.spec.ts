import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WORKSPACE, event, identityHarness } from '../../../test/support/identity-fixtures';

test('resolves an event to a new profile, then follows it on the next event', async () => {
  const { events, graph } = identityHarness();
  const first = await events.execute({ event: event({ type: 'page', anonymousId: 'a1' }) });
  assert.equal(first.outcome, 'created');
  assert.equal(first.profileId, 'prof_1');
  const second = await events.execute({
    event: event({
      type: 'identify',
      anonymousId: 'a1',
      userId: 'u1',
      traits: { email: 'A@x.io' },
    }),
  });
  assert.equal(second.outcome, 'attached');
  assert.equal(second.profileId, 'prof_1');
  assert.deepEqual(graph.components(WORKSPACE), [
    ['anonymous_id:a1', 'email:a@x.io', 'user_id:u1'],
  ]);
});

test('a merge returns ProfileMerged with its evidence and rule, and redirects the old id', async () => {
  const { events, graph } = identityHarness();
  await events.execute({ event: event({ type: 'track', anonymousId: 'a-laptop' }) });
  await events.execute({ event: event({ type: 'track', anonymousId: 'a-phone', userId: 'u1' }) });
  const merging = event({
    type: 'track',
    anonymousId: 'a-laptop',
    userId: 'u1',
    sourceId: 'src_backend',
  });
  const result = await events.execute({ event: merging });
  assert.equal(result.outcome, 'merged');
  assert.equal(result.profileId, 'prof_1', 'the laptop profile is older');
  assert.equal(result.events.length, 1);
  const [merged] = result.events;
  assert.equal(merged?.kind, 'ProfileMerged');
  assert.equal(merged?.mergeId, 'merge_1');
  assert.equal(merged?.survivingProfileId, 'prof_1');
  assert.deepEqual(merged?.mergedProfileIds, ['prof_2']);
  assert.equal(merged?.ruleId, 'observed_together');
  assert.deepEqual(merged?.actor, { type: 'system', id: 'identity-resolution' });
  assert.deepEqual(merged?.evidence, [
    {
      source: 'event',
      messageId: merging.messageId,
      sourceId: 'src_backend',
      sourceKind: 'server',
      observedAt: merging.timestamp,
      identifiers: [
        { type: 'user_id', value: 'u1' },
        { type: 'anonymous_id', value: 'a-laptop' },
      ],
    },
  ]);
  assert.ok(merged?.steps.some((s) => s.rule === 'resolve.merge_oldest_survives'));
  assert.equal(graph.canonical(WORKSPACE, 'prof_2'), 'prof_1');
  assert.deepEqual(graph.merges(WORKSPACE), [merged]);
});

test('redelivery of the same event changes nothing (idempotent)', async () => {
  const { events, graph } = identityHarness();
  const e = event({ type: 'identify', userId: 'u2', traits: { email: 'shared@x.io' } });
  await events.execute({
    event: event({ type: 'identify', userId: 'u1', traits: { email: 'shared@x.io' } }),
  });
  const once = await events.execute({ event: e });
  const versions = graph.profiles(WORKSPACE).map((p) => p.version);
  const twice = await events.execute({ event: e });
  assert.deepEqual(twice.plan.resolved, once.plan.resolved);
  assert.equal(twice.outcome, 'unchanged');
  assert.deepEqual(
    graph.profiles(WORKSPACE).map((p) => p.version),
    versions,
  );
  assert.equal(graph.conflicts(WORKSPACE).length, 1, 'the conflict is recorded once');
});

test('rejected values are returned with the resolution; junk ids never create profiles', async () => {
  const { events, graph } = identityHarness();
  const result = await events.execute({
    event: event({ type: 'identify', userId: 'null', anonymousId: '[object Object]' }),
  });
  assert.equal(result.outcome, 'ignored');
  assert.equal(result.profileId, null);
  assert.deepEqual(
    result.rejected.map((r) => r.rule),
    ['identifier.junk_value', 'identifier.junk_value'],
  );
  assert.deepEqual(graph.components(WORKSPACE), []);
});

test('parallel resolutions of overlapping identifiers never create two profiles for one identifier', async () => {
  const { events, graph } = identityHarness({}, { interleave: true });
  const batch = [];
  for (let i = 0; i < 30; i++)
    batch.push(
      event({
        type: 'track',
        anonymousId: `a${i % 7}`,
        userId: `u${i % 3}`,
        sourceId: 'src_backend',
      }),
      event({ type: 'page', anonymousId: `a${(i * 5) % 7}` }),
    );
  await Promise.all(batch.map((e) => events.execute({ event: e })));
  const owners = new Map<string, number>();
  for (const component of graph.components(WORKSPACE))
    for (const key of component) owners.set(key, (owners.get(key) ?? 0) + 1);
  assert.ok([...owners.values()].every((n) => n === 1));
  // Every user id has its own profile; every anonymous id joined one of them.
  assert.equal(graph.components(WORKSPACE).length, 3);
});
