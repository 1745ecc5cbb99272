import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Json } from './json';
import { factFromEvent, traitWrites } from './profile-fact';
import {
  applyWrite,
  beats,
  materialize,
  type Provenance,
  type TraitRegister,
  type TraitWrite,
} from './trait-register';

const day = (d: number): string => `2025-01-${String(d).padStart(2, '0')}T00:00:00.000Z`;
const event = (d: number, id = `m${d}`): Provenance => ({
  sourceType: 'event',
  sourceId: id,
  observedAt: day(d),
});

function fold(writes: readonly TraitWrite[]): Record<string, TraitRegister> {
  const registers: Record<string, TraitRegister> = {};
  for (const write of writes) applyWrite(registers, write);
  return registers;
}

function traitsOf(...batches: [Record<string, Json>, Provenance][]): Record<string, Json> {
  return materialize(fold(batches.flatMap(([traits, p]) => traitWrites(traits, p))));
}

test('last write wins by EVENT time: a late event does not overwrite a newer value', () => {
  const inOrder = traitsOf([{ plan: 'free' }, event(1)], [{ plan: 'pro' }, event(5)]);
  const late = traitsOf([{ plan: 'pro' }, event(5)], [{ plan: 'free' }, event(1)]);
  assert.deepEqual(inOrder, { plan: 'pro' });
  assert.deepEqual(late, { plan: 'pro' }, 'the day-1 event arriving last loses');
});

test('set-once keeps the first value ever seen, in event time, and never beats a plain set', () => {
  assert.deepEqual(
    traitsOf(
      [{ $set_once: { source: 'ad' } }, event(3)],
      [{ $set_once: { source: 'seo' } }, event(1)],
    ),
    { source: 'seo' },
    'the earlier set-once wins even when it arrives later',
  );
  assert.deepEqual(
    traitsOf(
      [{ $set_once: { source: 'seo' } }, event(1)],
      [{ $set_once: { source: 'ad' } }, event(3)],
    ),
    { source: 'seo' },
    'a later set-once does not replace',
  );
  assert.deepEqual(
    traitsOf([{ source: 'crm' }, event(1)], [{ $set_once: { source: 'seo' } }, event(0)]),
    { source: 'crm' },
    'a plain set beats set-once whatever their times',
  );
  assert.deepEqual(
    traitsOf([{ $set_once: { source: 'seo' } }, event(1)], [{ source: 'crm' }, event(9)]),
    { source: 'crm' },
  );
});

test('unset leaves a tombstone: an older late set cannot resurrect the value, a newer one can', () => {
  const removed = traitsOf([{ phone: '+1' }, event(1)], [{ $unset: ['phone'] }, event(3)]);
  assert.deepEqual(removed, {});
  assert.deepEqual(
    traitsOf([{ $unset: ['phone'] }, event(3)], [{ phone: '+1' }, event(2)]),
    {},
    'the late day-2 set is older than the unset',
  );
  assert.deepEqual(traitsOf([{ $unset: ['phone'] }, event(3)], [{ phone: '+2' }, event(4)]), {
    phone: '+2',
  });
  assert.deepEqual(
    traitsOf([{ phone: '+1' }, event(1)], [{ phone: null }, event(2)]),
    {},
    'null means unset',
  );
});

test('nested objects merge leaf by leaf; each leaf has its own event-time precedence', () => {
  const traits = traitsOf(
    [{ address: { city: 'Moscow', street: 'Tverskaya 1' } }, event(1)],
    [{ address: { city: 'Kazan' } }, event(3)],
    [{ address: { city: 'Sochi', zip: '354000' } }, event(2)],
  );
  assert.deepEqual(traits, {
    address: { city: 'Kazan', street: 'Tverskaya 1', zip: '354000' },
  });
  assert.deepEqual(
    traitsOf(
      [{ address: { city: 'Kazan', zip: '1' } }, event(1)],
      [{ $unset: ['address.zip'] }, event(2)],
    ),
    { address: { city: 'Kazan' } },
    'a nested unset by dotted path',
  );
  assert.deepEqual(
    traitsOf([{ address: { city: 'Kazan' } }, event(1)], [{ $unset: ['address'] }, event(2)]),
    {},
    'unsetting the object removes older leaves below it',
  );
  assert.deepEqual(
    traitsOf([{ address: { city: 'Kazan' } }, event(1)], [{ address: 'unknown street' }, event(2)]),
    { address: 'unknown street' },
    'a newer scalar replaces an older object',
  );
  assert.deepEqual(
    traitsOf([{ address: 'unknown street' }, event(1)], [{ address: { city: 'Kazan' } }, event(2)]),
    { address: { city: 'Kazan' } },
    'a newer object replaces an older scalar',
  );
  assert.deepEqual(
    traitsOf([{ tags: ['a', 'b'] }, event(1)]),
    { tags: ['a', 'b'] },
    'arrays are leaves',
  );
});

test('equal event times: manual beats CRM beats event, then the source id decides', () => {
  const at = day(5);
  const manual: TraitRegister = { value: 1, sourceType: 'manual', sourceId: 'k', observedAt: at };
  const crm: TraitRegister = { value: 2, sourceType: 'crm', sourceId: 'c', observedAt: at };
  const ev: TraitRegister = { value: 3, sourceType: 'event', sourceId: 'z', observedAt: at };
  assert.ok(beats(manual, crm) && beats(crm, ev) && !beats(ev, crm));
  assert.ok(!beats(ev, ev), 'a write does not beat itself: re-applying changes nothing');
});

test('a CRM echo carries provenance crm with the contact id; context.traits count too', () => {
  const crm = factFromEvent({
    type: 'identify',
    messageId: 'crm-contact-c1-v2',
    timestamp: day(4),
    sourceId: 'crm',
    traits: { phone: '+79161234567', title: null },
    context: { crm: { aggregateType: 'contact', aggregateId: 'c1', version: 2, origin: 'crm' } },
  });
  assert.deepEqual(
    crm.writes.map((w) => [w.path, w.sourceType, w.sourceId, w.unset ?? false]),
    [
      ['phone', 'crm', 'c1', false],
      ['title', 'crm', 'c1', true],
    ],
  );
  assert.ok(crm.identifiers.some((i) => i.type === 'crm_contact_id' && i.value === 'c1'));
  const track = factFromEvent({
    type: 'track',
    messageId: 'm-9',
    timestamp: day(4),
    event: 'Viewed',
    context: { traits: { email: 'A@B.example' } },
  });
  assert.deepEqual(
    track.writes.map((w) => [w.path, w.value]),
    [['email', 'A@B.example']],
  );
  const group = factFromEvent({
    type: 'group',
    messageId: 'g-1',
    timestamp: day(4),
    traits: { name: 'ACME' },
  });
  assert.equal(group.writes.length, 0, 'group traits describe the account, not the person');
});

// Every order and any duplicates of the same writes give the same registers and traits.
test('order-independent and idempotent for any writes (property)', () => {
  const path = fc.constantFrom('a', 'b', 'a.x', 'a.y', 'c.d.e', 'c');
  const write = fc.record({
    path,
    kind: fc.constantFrom('set', 'setOnce', 'unset'),
    day: fc.integer({ min: 1, max: 9 }),
    source: fc.constantFrom<'event' | 'crm' | 'manual'>('event', 'crm', 'manual'),
    id: fc.constantFrom('m1', 'm2', 'm3'),
    value: fc.oneof(fc.integer(), fc.string(), fc.constant<Json>([1, 2])),
  });
  fc.assert(
    fc.property(fc.array(write, { maxLength: 25 }), fc.integer(), (raw, seed) => {
      const writes: TraitWrite[] = raw.map((w) => ({
        path: w.path,
        sourceType: w.source,
        sourceId: w.id,
        observedAt: day(w.day),
        ...(w.kind === 'unset' ? { unset: true as const } : { value: w.value }),
        ...(w.kind === 'setOnce' ? { setOnce: true as const } : {}),
      }));
      const shuffled = [...writes, ...writes.slice(0, 5)]
        .map((w, i) => ({ w, k: (i * 7919 + seed) % 101 }))
        .sort((x, y) => x.k - y.k)
        .map((x) => x.w);
      assert.deepEqual(materialize(fold(shuffled)), materialize(fold(writes)));
    }),
    { numRuns: 300 },
  );
});
