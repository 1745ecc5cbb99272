import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DomainError } from '@cdp/contracts';
import { encodeCursor, parseListQuery, searchQuery } from './record-list-query';

const budget = {
  objectType: 'contact' as const,
  key: 'budget',
  label: 'Budget',
  type: 'number' as const,
  options: [],
  currency: null,
  required: false,
};

describe('list query language', () => {
  test('filters, operators, custom fields, sort and cursor', () => {
    const plan = parseListQuery(
      'contact',
      {
        'filter.lifecycleStage': 'customer',
        'filter.email.in': 'a@x.example,b@x.example',
        'filter.cf.budget.gte': '1000',
        'filter.phone.exists': 'false',
        sort: '-lastName',
        limit: '25',
        cursor: encodeCursor('Ivanov', 'con_1'),
        q: 'Ivan, Moscow!',
      },
      [budget],
    );
    assert.deepEqual(
      plan.filters.map((f) => [f.op, f.values]),
      [
        ['eq', ['customer']],
        ['in', ['a@x.example', 'b@x.example']],
        ['gte', [1000]],
        ['exists', [false]],
      ],
    );
    assert.equal(plan.sort.descending, true);
    assert.equal(plan.limit, 25);
    assert.deepEqual(plan.cursor, { value: 'Ivanov', id: 'con_1' });
    assert.equal(plan.search, 'ivan:* & moscow:*');
  });

  test('mistakes are 400s naming the parameter', () => {
    for (const query of [
      { 'filter.shoe': '1' },
      { 'filter.cf.nope': '1' },
      { 'filter.cf.budget.gt': 'lots' },
      { 'filter.lifecycleStage.contains': 'x' },
      { sort: 'contactIds' },
      { limit: '0' },
      { cursor: 'nope' },
      { archived: 'maybe' },
      { unknown: '1' },
    ])
      assert.throws(
        () => parseListQuery('contact', query, [budget]),
        (e: unknown) => e instanceof DomainError && e.kind === 'invalid',
        JSON.stringify(query),
      );
  });

  test('search keeps words only (no tsquery injection)', () => {
    assert.equal(searchQuery("a & b | !c:* 'd'"), 'a:* & b:* & c:* & d:*');
    assert.equal(searchQuery(' ,.; '), undefined);
  });
});
