import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DomainError } from '@cdp/contracts';
import {
  normaliseCustomFields,
  validateDefinition,
  type CustomFieldDefinition,
} from './custom-fields';

function def(
  key: string,
  type: CustomFieldDefinition['type'],
  extra: Partial<CustomFieldDefinition> = {},
): CustomFieldDefinition {
  return {
    objectType: 'contact',
    key,
    label: key,
    type,
    options: [],
    currency: null,
    required: false,
    ...extra,
  };
}

const definitions = [
  def('nickname', 'text'),
  def('score', 'number'),
  def('birthday', 'date'),
  def('vip', 'boolean'),
  def('tier', 'enum', { options: ['gold', 'silver'] }),
  def('interests', 'multi_enum', { options: ['suv', 'sedan', 'van'] }),
  def('budget', 'currency', { currency: 'EUR' }),
  def('region', 'text', { required: true }),
];

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return 'ok';
}

describe('custom fields: typed, validated on write', () => {
  test('each type accepts its values and normalises them', () => {
    assert.deepEqual(
      normaliseCustomFields(
        definitions,
        {
          nickname: 'Vanya',
          score: 4.5,
          birthday: '1990-02-28',
          vip: true,
          tier: 'gold',
          interests: ['van', 'suv', 'van'],
          budget: 20000,
          region: 'EU',
        },
        'create',
      ),
      {
        nickname: 'Vanya',
        score: 4.5,
        birthday: '1990-02-28',
        vip: true,
        tier: 'gold',
        interests: ['suv', 'van'],
        budget: { amount: 20000, currency: 'EUR' },
        region: 'EU',
      },
    );
    assert.deepEqual(
      normaliseCustomFields(definitions, { budget: { amount: 5, currency: 'USD' } }, 'update'),
      {
        budget: { amount: 5, currency: 'USD' },
      },
    );
  });

  test('wrong values, unknown keys and missing required fields are refused', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ score: '4' }, 'crm.invalid_field'],
      [{ birthday: '1990-02-30' }, 'crm.invalid_field'],
      [{ vip: 'yes' }, 'crm.invalid_field'],
      [{ tier: 'bronze' }, 'crm.invalid_field'],
      [{ interests: ['bike'] }, 'crm.invalid_field'],
      [{ budget: { amount: 1, currency: 'euro' } }, 'crm.invalid_field'],
      [{ shoe: 42 }, 'crm.unknown_custom_field'],
      [{ region: null }, 'crm.invalid_field'],
    ];
    for (const [values, expected] of bad)
      assert.equal(
        code(() => normaliseCustomFields(definitions, values as never, 'update')),
        expected,
        JSON.stringify(values),
      );
    assert.equal(
      code(() => normaliseCustomFields(definitions, { nickname: 'x' }, 'create')),
      'crm.invalid_field',
    );
  });

  test('definitions: enum fields need options, currency fields a currency', () => {
    assert.equal(
      code(() => validateDefinition(def('tier', 'enum'))),
      'crm.invalid_field',
    );
    assert.equal(
      code(() => validateDefinition(def('budget', 'currency'))),
      'crm.invalid_field',
    );
    assert.equal(
      code(() => validateDefinition(def('Bad Key', 'text'))),
      'crm.invalid_field',
    );
    assert.equal(
      code(() => validateDefinition(def('tags', 'text', { options: ['a'] }))),
      'crm.invalid_field',
    );
    assert.equal(
      validateDefinition(def('tier', 'enum', { options: [' a ', 'a', 'b'] })).options.length,
      2,
    );
  });
});
