import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identifierKey } from '../../src/resolution/domain/identifier';
import { WORKSPACE, event, identityHarness } from '../support/identity-fixtures';

const tablet = { device: { id: 'tablet-1' } };

// A family tablet: mum and son both sign in on the same app install. The device id and the
// app's anonymous id are shared; their user ids are not. They must stay two people.
test('two people on one device do not merge through the device id', async () => {
  const { events, graph } = identityHarness({ customTypes: [{ type: 'device_id' }] });
  const mum = await events.execute({
    event: event({
      type: 'identify',
      sourceId: 'src_app',
      anonymousId: 'install-1',
      userId: 'mum',
      context: tablet,
      traits: { email: 'mum@family.example' },
    }),
  });
  assert.equal(mum.outcome, 'created');

  const son = await events.execute({
    event: event({
      type: 'identify',
      sourceId: 'src_app',
      anonymousId: 'install-1',
      userId: 'son',
      context: tablet,
    }),
  });
  assert.equal(son.outcome, 'created', 'the son gets his own profile');
  assert.notEqual(son.profileId, mum.profileId);
  assert.deepEqual(
    son.plan.conflicts.map((c) => [c.rule, identifierKey(c.dropped)]),
    [
      ['limit.exceeded', 'device_id:tablet-1'],
      ['limit.exceeded', 'anonymous_id:install-1'],
    ],
    'lowest priority first: the device, then the install id',
  );
  assert.match(son.plan.conflicts[0]?.message ?? '', /user_id 2 > 1/);

  // The son keeps using the tablet, from the server too: still two people.
  await events.execute({
    event: event({
      type: 'track',
      sourceId: 'src_backend',
      anonymousId: 'install-1',
      userId: 'son',
      context: tablet,
    }),
  });
  await events.execute({
    event: event({
      type: 'identify',
      sourceId: 'src_app',
      userId: 'son',
      traits: { email: 'son@family.example' },
      context: tablet,
    }),
  });
  assert.deepEqual(graph.components(WORKSPACE), [
    ['anonymous_id:install-1', 'device_id:tablet-1', 'email:mum@family.example', 'user_id:mum'],
    ['email:son@family.example', 'user_id:son'],
  ]);
  assert.ok(graph.conflicts(WORKSPACE).length >= 4, 'every refusal is recorded with its evidence');
  for (const conflict of graph.conflicts(WORKSPACE))
    assert.ok(conflict.evidence.messageId.startsWith('msg_'));
});

test('a shared device cannot merge two known people from the browser, even without user ids', async () => {
  const { events, graph } = identityHarness({ customTypes: [{ type: 'device_id' }] });
  await events.execute({
    event: event({
      type: 'identify',
      anonymousId: 'a-mum',
      traits: { email: 'mum@family.example' },
      context: tablet,
    }),
  });
  await events.execute({
    event: event({ type: 'identify', anonymousId: 'a-son', traits: { phone: '+14155552671' } }),
  });
  const joined = await events.execute({
    event: event({ type: 'page', anonymousId: 'a-son', context: tablet }),
  });
  assert.equal(joined.plan.conflicts[0]?.rule, 'trust.untrusted_merge');
  assert.equal(graph.components(WORKSPACE).length, 2);
});
