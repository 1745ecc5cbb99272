import { DomainError } from '@cdp/contracts';
import { invalidField, isValidDate } from './field-values';
import { type CustomizableType, type JsonObject, type JsonValue } from './record-types';

export const CUSTOM_FIELD_TYPES = [
  'text',
  'number',
  'date',
  'boolean',
  'enum',
  'multi_enum',
  'currency',
] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

/** A typed custom field of one object type in one workspace. */
export interface CustomFieldDefinition {
  readonly objectType: CustomizableType;
  /** lower_snake_case, unique per object type; the key in `customFields`. */
  readonly key: string;
  readonly label: string;
  readonly type: CustomFieldType;
  /** Allowed values of enum and multi_enum fields. */
  readonly options: readonly string[];
  /** Default currency of a currency field (a bare number means an amount in it). */
  readonly currency: string | null;
  readonly required: boolean;
}

export const CUSTOM_FIELD_KEY = /^[a-z][a-z0-9_]{0,62}$/;
const CURRENCY = /^[A-Z]{3}$/;

/** Validates a definition as declared through the API. */
export function validateDefinition(definition: CustomFieldDefinition): CustomFieldDefinition {
  if (!CUSTOM_FIELD_KEY.test(definition.key))
    throw invalidField('key', 'lower_snake_case, starting with a letter, at most 63 characters');
  const label = definition.label.trim();
  if (label.length === 0 || label.length > 200) throw invalidField('label', '1 to 200 characters');
  const enumLike = definition.type === 'enum' || definition.type === 'multi_enum';
  const options = [...new Set(definition.options.map((o) => o.trim()).filter(Boolean))];
  if (enumLike && (options.length === 0 || options.length > 200))
    throw invalidField('options', 'an enum field needs 1 to 200 options');
  if (!enumLike && options.length > 0)
    throw invalidField('options', `only enum and multi_enum fields have options`);
  if (definition.type === 'currency' && !CURRENCY.test(definition.currency ?? ''))
    throw invalidField('currency', 'a currency field needs an ISO 4217 currency such as EUR');
  return {
    ...definition,
    label,
    options,
    currency: definition.type === 'currency' ? definition.currency : null,
  };
}

function normaliseOne(definition: CustomFieldDefinition, value: JsonValue): JsonValue {
  const at = `customFields.${definition.key}`;
  switch (definition.type) {
    case 'text':
      if (typeof value !== 'string') throw invalidField(at, 'expected a string');
      if (value.length > 10_000) throw invalidField(at, 'at most 10000 characters');
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw invalidField(at, 'expected a finite number');
      return value;
    case 'date':
      if (typeof value !== 'string' || !isValidDate(value))
        throw invalidField(at, 'a date YYYY-MM-DD');
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw invalidField(at, 'expected true or false');
      return value;
    case 'enum':
      if (typeof value !== 'string' || !definition.options.includes(value))
        throw invalidField(at, `one of ${definition.options.join(', ')}`);
      return value;
    case 'multi_enum': {
      if (!Array.isArray(value)) throw invalidField(at, 'expected an array of options');
      const values = value as readonly JsonValue[];
      for (const item of values)
        if (typeof item !== 'string' || !definition.options.includes(item))
          throw invalidField(at, `each one of ${definition.options.join(', ')}`);
      // Stored in the definition's order: equal sets compare equal.
      return definition.options.filter((o) => values.includes(o));
    }
    case 'currency': {
      if (typeof value === 'number') {
        if (!Number.isFinite(value)) throw invalidField(at, 'expected a finite amount');
        return { amount: value, currency: definition.currency ?? '' };
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw invalidField(at, 'expected an amount or { amount, currency }');
      const money = value as { readonly [key: string]: JsonValue };
      const amount = money.amount;
      const currency = money.currency ?? definition.currency;
      if (typeof amount !== 'number' || !Number.isFinite(amount))
        throw invalidField(`${at}.amount`, 'expected a finite number');
      if (typeof currency !== 'string' || !CURRENCY.test(currency))
        throw invalidField(`${at}.currency`, 'an ISO 4217 code such as EUR');
      return { amount, currency };
    }
  }
}

/**
 * Validates custom field values against the definitions of their object type: unknown keys are
 * refused (a typo must not silently create data no filter finds), `null` clears a value.
 * `mode: 'create'` also checks that required fields are present.
 */
export function normaliseCustomFields(
  definitions: readonly CustomFieldDefinition[],
  values: JsonObject,
  mode: 'create' | 'update',
): Record<string, JsonValue> {
  const byKey = new Map(definitions.map((d) => [d.key, d]));
  const result: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(values)) {
    const definition = byKey.get(key);
    if (!definition)
      throw new DomainError(
        'invalid',
        'crm.unknown_custom_field',
        `customFields.${key}: no such custom field (declare it with POST /v1/crm/custom-fields)`,
        { field: `customFields.${key}` },
      );
    if (value === null) {
      if (definition.required)
        throw invalidField(`customFields.${key}`, 'a required field cannot be cleared');
      result[key] = null;
      continue;
    }
    result[key] = normaliseOne(definition, value);
  }
  if (mode === 'create')
    for (const definition of definitions)
      if (definition.required && (result[definition.key] ?? null) === null)
        throw invalidField(`customFields.${definition.key}`, 'required');
  return result;
}
