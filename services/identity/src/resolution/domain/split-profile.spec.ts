import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identifierKey, type Identifier } from './identifier';
import { type Evidence } from './observation';
import { linkKey, splitProfile, type ProfileGraph } from './split-profile';

const id = (key: string): Identifier => {
  const [type = '', value = ''] = key.split(':');
  return { type, value };
};
const at = (day: number, messageId = `m${day}`): Evidence => ({
  source: 'event',
  messageId,
  sourceId: 'src_1',
  sourceKind: 'server',
  observedAt: `2025-01-${String(day).padStart(2, '0')}T00:00:00.000Z`,
});
// A family tablet: mum (u-mum, her email) and son (u-son) glued through device d-tab by a
// flat-matching workspace. Links are the observations that saw identifiers together.
const graph: ProfileGraph = {
  profileId: 'p-family',
  identifiers: [
    { identifier: id('user_id:u-mum'), firstSeen: at(1) },
    { identifier: id('email:mum@x.io'), firstSeen: at(1) },
    { identifier: id('device_id:d-tab'), firstSeen: at(2) },
    { identifier: id('user_id:u-son'), firstSeen: at(3) },
    { identifier: id('anonymous_id:a-son'), firstSeen: at(3) },
  ],
  links: [
    { identifiers: [id('user_id:u-mum'), id('email:mum@x.io')], evidence: at(1) },
    { identifiers: [id('user_id:u-mum'), id('device_id:d-tab')], evidence: at(2) },
    {
      identifiers: [id('user_id:u-son'), id('anonymous_id:a-son'), id('device_id:d-tab')],
      evidence: at(3),
    },
  ],
};
const ids = (() => {
  let n = 0;
  return () => `p-new-${++n}`;
})();
const shape = (result: ReturnType<typeof splitProfile>): [string, string[]][] =>
  result.components.map((c) => [c.profileId, c.identifiers.map(identifierKey)]);

test('detaching an identifier cuts every link through it; the oldest component keeps the id', () => {
  const result = splitProfile(graph, { detachIdentifiers: [id('device_id:d-tab')] }, ids);
  assert.equal(result.changed, true);
  assert.deepEqual(shape(result), [
    ['p-family', ['email:mum@x.io', 'user_id:u-mum']],
    ['p-new-1', ['device_id:d-tab']],
    ['p-new-2', ['anonymous_id:a-son', 'user_id:u-son']],
  ]);
  const son = result.components[2];
  assert.deepEqual(
    son?.links.map(linkKey),
    ['anonymous_id:a-son|user_id:u-son'],
    'the son keeps his part of the shared observation as evidence',
  );
  assert.equal(son?.oldest.messageId, 'm3');
});

test('detaching a link splits only if no other evidence joins the sides', () => {
  const sonViaTablet = linkKey(graph.links[2]!);
  let n = 0;
  const result = splitProfile(graph, { detachLinks: [sonViaTablet] }, () => `p-son-${++n}`);
  assert.deepEqual(shape(result), [
    ['p-family', ['device_id:d-tab', 'email:mum@x.io', 'user_id:u-mum']],
    ['p-son-1', ['anonymous_id:a-son']],
    ['p-son-2', ['user_id:u-son']],
  ]);

  const mumEmail = linkKey(graph.links[0]!);
  const unchanged = splitProfile(
    {
      ...graph,
      links: [
        ...graph.links,
        { identifiers: [id('email:mum@x.io'), id('device_id:d-tab')], evidence: at(4) },
      ],
    },
    { detachLinks: [mumEmail] },
    ids,
  );
  assert.equal(unchanged.changed, false, 'the email is still joined through the tablet');
});

test('detached identifiers stay together when their own evidence links them', () => {
  const result = splitProfile(
    graph,
    { detachIdentifiers: [id('user_id:u-son'), id('anonymous_id:a-son')] },
    () => 'p-son',
  );
  assert.deepEqual(shape(result), [
    ['p-family', ['device_id:d-tab', 'email:mum@x.io', 'user_id:u-mum']],
    ['p-son', ['anonymous_id:a-son', 'user_id:u-son']],
  ]);
});

test('the component with the oldest evidence keeps the id, even if it is the detached one', () => {
  const result = splitProfile(
    graph,
    { detachIdentifiers: [id('user_id:u-mum'), id('email:mum@x.io')] },
    () => 'p-rest',
  );
  assert.deepEqual(
    result.components.map((c) => [c.profileId, c.keepsOriginalId]),
    [
      ['p-family', true],
      ['p-rest', false],
    ],
  );
  assert.deepEqual(result.components[0]?.identifiers.map(identifierKey), [
    'email:mum@x.io',
    'user_id:u-mum',
  ]);
});

test('unknown identifiers or links are refused with a code', () => {
  assert.throws(() => splitProfile(graph, { detachIdentifiers: [id('email:else@x.io')] }, ids), {
    code: 'identity.split_unknown_identifier',
  });
  assert.throws(() => splitProfile(graph, { detachLinks: ['nope'] }, ids), {
    code: 'identity.split_unknown_link',
  });
});
