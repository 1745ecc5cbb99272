import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidSubject, subjectCovers, subjectMatches } from './subject-match';

void test('* matches exactly one token', () => {
  assert.ok(
    subjectMatches('cdp.identity.profile.merged.v1.*', 'cdp.identity.profile.merged.v1.ws1'),
  );
  assert.ok(!subjectMatches('cdp.identity.profile.merged.v1.*', 'cdp.identity.profile.merged.v1'));
  assert.ok(
    !subjectMatches('cdp.identity.profile.merged.v1.*', 'cdp.identity.profile.merged.v1.ws1.p2'),
  );
  assert.ok(subjectMatches('cdp.*.profile.*.v1.*', 'cdp.identity.profile.split.v1.ws'));
});

void test('> matches one or more trailing tokens', () => {
  assert.ok(subjectMatches('cdp.identity.>', 'cdp.identity.profile.merged.v1.ws1'));
  assert.ok(subjectMatches('cdp.identity.>', 'cdp.identity.x'));
  assert.ok(!subjectMatches('cdp.identity.>', 'cdp.identity'));
  assert.ok(!subjectMatches('cdp.identity.>', 'cdp.profile.x'));
  assert.ok(subjectMatches('>', 'a'));
});

void test('literal subjects match only themselves', () => {
  assert.ok(subjectMatches('a.b.c', 'a.b.c'));
  assert.ok(!subjectMatches('a.b.c', 'a.b'));
  assert.ok(!subjectMatches('a.b', 'a.b.c'));
});

void test('a stream filter covers the patterns inside it', () => {
  assert.ok(subjectCovers('cdp.identity.>', 'cdp.identity.profile.merged.v1.*'));
  assert.ok(subjectCovers('cdp.identity.>', 'cdp.identity.>'.replace('>', 'x.>')));
  assert.ok(subjectCovers('cdp.*.x', 'cdp.a.x'));
  assert.ok(subjectCovers('cdp.*.x', 'cdp.*.x'));
  assert.ok(!subjectCovers('cdp.identity.>', 'cdp.profile.profile.updated.v1.*'));
  assert.ok(!subjectCovers('cdp.a.x', 'cdp.*.x'));
  assert.ok(!subjectCovers('cdp.*.x', 'cdp.>'));
  assert.ok(!subjectCovers('cdp.identity.>', 'cdp.identity'));
});

void test('valid subjects have non-empty tokens and > only last', () => {
  assert.ok(isValidSubject('cdp.x.*.y.>'));
  for (const bad of ['', 'a..b', 'a.>.b', 'a b', 'a.b*', '.a', 'a.'])
    assert.ok(!isValidSubject(bad), bad);
});
