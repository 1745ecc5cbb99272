import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WORKSPACE, event, identityHarness } from '../support/identity-fixtures';

// ARCHITECTURE.md, story 1: Ivanov looks at cars anonymously from a search engine, comes back
// from a social ad on his phone, compares prices, phones a sales manager who logs the call in
// the CRM with his phone number, then registers on the site with email and phone. A CRM would
// count two or three people; we must show one profile, with the CRM contact linked.
test('the car buyer: search visit, social ad on the phone, CRM call, registration → one profile', async () => {
  const { events, observations, graph } = identityHarness({ defaultPhoneRegion: 'RU' });
  const profileIds: (string | null)[] = [];
  const resolve = async (e: Parameters<typeof events.execute>[0]['event']) => {
    const result = await events.execute({ event: e });
    profileIds.push(result.profileId);
    return result;
  };

  // Day 1, laptop, from a search engine: anonymous.
  const search = await resolve(
    event({
      type: 'page',
      anonymousId: 'anon-laptop',
      name: 'Used SUVs',
      context: { referrer: { type: 'search' } },
    }),
  );
  assert.equal(search.outcome, 'created');

  // Day 3, phone, from a social ad; bookmarks the site and compares used-car prices.
  await resolve(
    event({
      type: 'page',
      anonymousId: 'anon-phone',
      sourceId: 'src_web',
      context: { campaign: { source: 'social' } },
    }),
  );
  await resolve(event({ type: 'track', anonymousId: 'anon-phone', event: 'Price Compared' }));
  assert.equal(graph.components(WORKSPACE).length, 2, 'two anonymous visitors so far');

  // Day 5: he phones a sales manager, who logs the call in the CRM with his number.
  const call = await observations.execute({
    observation: {
      workspaceId: WORKSPACE,
      identifiers: [
        { type: 'crm_contact_id', value: 'contact-17' },
        { type: 'phone', value: '+79161234567' },
      ],
      evidence: {
        source: 'crm',
        messageId: 'crm-evt-1',
        sourceId: 'crm',
        sourceKind: 'crm',
        observedAt: '2025-01-05T12:00:00.000Z',
      },
    },
  });
  assert.equal(call.outcome, 'created', 'the CRM alone sees a third person');
  assert.equal(graph.components(WORKSPACE).length, 3);

  // Day 6: he registers on the site from the phone with email and (nationally written) phone.
  const registration = await resolve(
    event({
      type: 'identify',
      anonymousId: 'anon-phone',
      userId: 'user-ivanov',
      traits: { email: ' Ivanov@Mail.example ', phone: '8 (916) 123-45-67', interest: 'SUV' },
    }),
  );
  assert.equal(registration.outcome, 'merged', 'the phone number joins the CRM contact');
  assert.deepEqual(registration.plan.conflicts, []);

  // Later he signs in on the laptop: the first anonymous visit joins too.
  const login = await resolve(
    event({ type: 'track', anonymousId: 'anon-laptop', userId: 'user-ivanov', event: 'Signed In' }),
  );
  assert.equal(login.outcome, 'merged');

  assert.deepEqual(graph.components(WORKSPACE), [
    [
      'anonymous_id:anon-laptop',
      'anonymous_id:anon-phone',
      'crm_contact_id:contact-17',
      'email:ivanov@mail.example',
      'phone:+79161234567',
      'user_id:user-ivanov',
    ],
  ]);
  const [ivanov] = graph.profiles(WORKSPACE);
  assert.equal(ivanov?.id, search.profileId, 'the profile of the first anonymous visit survives');
  for (const id of [...profileIds, call.profileId])
    assert.equal(
      graph.canonical(WORKSPACE, id ?? ''),
      ivanov?.id,
      'every touchpoint resolves to him',
    );

  // Explainable: the ledger holds both merges with the rule and the events that caused them.
  const ledger = graph.merges(WORKSPACE);
  assert.equal(ledger.length, 2);
  assert.deepEqual(
    ledger.map((m) => [m.ruleId, m.evidence[0]?.messageId]),
    [
      ['observed_together', registration.plan.evidence.messageId],
      ['observed_together', login.plan.evidence.messageId],
    ],
  );
});
