import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Namespace } from './namespace';

void test('a namespace prefixes subjects and streams and strips them back', () => {
  const ns = Namespace.of('t42');
  assert.equal(
    ns.subject('cdp.identity.profile.merged.v1.ws1'),
    't42.cdp.identity.profile.merged.v1.ws1',
  );
  assert.equal(ns.subject('cdp.identity.>'), 't42.cdp.identity.>');
  assert.equal(ns.stream('EVENTS'), 't42_EVENTS');
  assert.equal(ns.stripSubject('t42.cdp.x.y'), 'cdp.x.y');
  assert.equal(ns.stripStream('t42_EVENTS'), 'EVENTS');
});

void test('the empty namespace is the identity', () => {
  const ns = Namespace.of('');
  assert.equal(ns, Namespace.none);
  assert.equal(ns.subject('cdp.x.y'), 'cdp.x.y');
  assert.equal(ns.stream('EVENTS'), 'EVENTS');
  assert.equal(ns.stripSubject('cdp.x.y'), 'cdp.x.y');
});

void test('stripping leaves foreign names alone', () => {
  const ns = Namespace.of('a');
  assert.equal(ns.stripSubject('ab.cdp.x'), 'ab.cdp.x');
  assert.equal(ns.stripStream('ab_EVENTS'), 'ab_EVENTS');
});

void test('namespaces that would break subjects or stream names are refused', () => {
  for (const bad of ['a.b', 'a b', 'a*', 'a>', 'x/y'])
    assert.throws(() => Namespace.of(bad), /invalid namespace/);
});
