import { DomainError } from '@cdp/contracts';
import {
  AGGREGATE_TYPES,
  ID_PREFIX,
  STAGE_KINDS,
  type FieldKind,
  type JsonValue,
  type StageKind,
} from './record-types';

/** A pipeline stage; stages are ordered by their position in the pipeline's `stages` array. */
export interface Stage {
  readonly id: string;
  readonly name: string;
  /** Win probability in percent (0–100): won stages are 100, lost stages 0. */
  readonly probability: number;
  readonly kind: StageKind;
}

export function invalidField(field: string, message: string): DomainError {
  return new DomainError('invalid', 'crm.invalid_field', `${field}: ${message}`, { field });
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const CURRENCY = /^[A-Z]{3}$/;
const ID = /^[a-z]+_[A-Za-z0-9]{1,64}$/;
const STAGE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function normaliseEmail(value: string): string {
  return value.trim().toLowerCase();
}

/** Keeps a leading + and the digits: "+7 (912) 555-01-01" and "+79125550101" are one phone. */
export function normalisePhone(value: string): string {
  const trimmed = value.trim();
  return (trimmed.startsWith('+') ? '+' : '') + trimmed.replace(/\D/g, '');
}

/** "https://www.Example.com/about" → "example.com": what company dedup compares. */
export function normaliseDomain(value: string): string {
  let domain = value.trim().toLowerCase();
  domain = domain.replace(/^[a-z]+:\/\//, '').replace(/[/?#].*$/, '');
  return domain.replace(/^www\./, '').replace(/\.$/, '');
}

export function isValidDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/** An ISO-8601 instant with an offset, normalised to UTC with milliseconds. */
export function normaliseInstant(value: string): string | undefined {
  if (!ISO_INSTANT.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isFinite(time) ? new Date(time).toISOString() : undefined;
}

function expectString(field: string, value: JsonValue): string {
  if (typeof value !== 'string') throw invalidField(field, 'expected a string');
  return value;
}

function expectNumber(field: string, value: JsonValue): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalidField(field, 'expected a finite number');
  return value;
}

/** Checks that an id names a record of `target` (by its prefix). */
export function normaliseRef(field: string, value: JsonValue, target: string): string {
  const id = expectString(field, value).trim();
  const prefix = ID_PREFIX[target as keyof typeof ID_PREFIX];
  if (!ID.test(id) || !id.startsWith(`${prefix}_`))
    throw invalidField(field, `expected a ${target} id (${prefix}_…)`);
  return id;
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 64) || 'stage'
  );
}

/**
 * Validates a pipeline's stages: 2–50 of them, unique ids, at least one open, one won and one
 * lost stage; probabilities in 0–100 (won is always 100 and lost 0, which makes the weighted
 * forecast of closed deals exact).
 */
export function normaliseStages(field: string, value: JsonValue): Stage[] {
  if (!Array.isArray(value)) throw invalidField(field, 'expected an array of stages');
  const items = value as readonly JsonValue[];
  if (items.length < 3 || items.length > 50)
    throw invalidField(field, 'a pipeline has 3 to 50 stages (open ones, a won and a lost one)');
  const stages: Stage[] = [];
  const ids = new Set<string>();
  items.forEach((item, index) => {
    const at = `${field}.${index}`;
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw invalidField(at, 'expected a stage object');
    const raw = item as { readonly [key: string]: JsonValue };
    const name = expectString(`${at}.name`, raw.name ?? null).trim();
    if (name.length === 0 || name.length > 100)
      throw invalidField(`${at}.name`, '1 to 100 characters');
    const kind = raw.kind ?? 'open';
    if (typeof kind !== 'string' || !(STAGE_KINDS as readonly string[]).includes(kind))
      throw invalidField(`${at}.kind`, `one of ${STAGE_KINDS.join(', ')}`);
    const stageKind = kind as StageKind;
    const id = raw.id === undefined ? slug(name) : expectString(`${at}.id`, raw.id);
    if (!STAGE_ID.test(id))
      throw invalidField(`${at}.id`, 'lowercase letters, digits, _ and - (at most 64)');
    if (ids.has(id)) throw invalidField(`${at}.id`, `duplicate stage id "${id}"`);
    ids.add(id);
    const fixed = stageKind === 'won' ? 100 : stageKind === 'lost' ? 0 : undefined;
    const probability =
      raw.probability === undefined
        ? (fixed ?? 0)
        : expectNumber(`${at}.probability`, raw.probability);
    if (probability < 0 || probability > 100)
      throw invalidField(`${at}.probability`, 'a percentage between 0 and 100');
    if (fixed !== undefined && probability !== fixed)
      throw invalidField(`${at}.probability`, `a ${stageKind} stage has probability ${fixed}`);
    stages.push({ id, name, probability, kind: stageKind });
  });
  for (const kind of STAGE_KINDS)
    if (!stages.some((s) => s.kind === kind))
      throw invalidField(field, `a pipeline needs at least one ${kind} stage`);
  return stages;
}

/** Validates and normalises one field value (never null: the caller handles clearing). */
export function normaliseFieldValue(field: string, type: FieldKind, value: JsonValue): JsonValue {
  switch (type.kind) {
    case 'text': {
      const text = expectString(field, value).trim();
      if (text.length > type.max) throw invalidField(field, `at most ${type.max} characters`);
      return text;
    }
    case 'email': {
      const email = normaliseEmail(expectString(field, value));
      if (email.length > 254 || !EMAIL.test(email)) throw invalidField(field, 'not an email');
      return email;
    }
    case 'phone': {
      const phone = normalisePhone(expectString(field, value));
      const digits = phone.replace('+', '');
      if (digits.length < 5 || digits.length > 20) throw invalidField(field, 'not a phone number');
      return phone;
    }
    case 'domain': {
      const domain = normaliseDomain(expectString(field, value));
      if (!DOMAIN.test(domain)) throw invalidField(field, 'not a domain name');
      return domain;
    }
    case 'number':
    case 'integer': {
      const number = expectNumber(field, value);
      if (type.kind === 'integer' && !Number.isInteger(number))
        throw invalidField(field, 'expected an integer');
      if (type.min !== undefined && number < type.min)
        throw invalidField(field, `at least ${type.min}`);
      return number;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw invalidField(field, 'expected true or false');
      return value;
    case 'currency_code': {
      const code = expectString(field, value).trim().toUpperCase();
      if (!CURRENCY.test(code)) throw invalidField(field, 'an ISO 4217 code such as EUR');
      return code;
    }
    case 'date': {
      const date = expectString(field, value).trim();
      if (!isValidDate(date)) throw invalidField(field, 'a date YYYY-MM-DD');
      return date;
    }
    case 'datetime': {
      const instant = normaliseInstant(expectString(field, value).trim());
      if (instant === undefined) throw invalidField(field, 'an ISO-8601 time with an offset');
      return instant;
    }
    case 'datetimes': {
      if (!Array.isArray(value)) throw invalidField(field, 'expected an array of times');
      const items = value as readonly JsonValue[];
      if (items.length > 20) throw invalidField(field, 'at most 20 entries');
      const instants = items.map((item, i) =>
        normaliseFieldValue(`${field}.${i}`, { kind: 'datetime' }, item),
      ) as string[];
      return [...new Set(instants)].sort();
    }
    case 'enum': {
      const choice = expectString(field, value);
      if (!type.values.includes(choice))
        throw invalidField(field, `one of ${type.values.join(', ')}`);
      return choice;
    }
    case 'ref':
      return normaliseRef(field, value, type.target);
    case 'refs': {
      if (!Array.isArray(value)) throw invalidField(field, 'expected an array of ids');
      const items = value as readonly JsonValue[];
      if (items.length > 100) throw invalidField(field, 'at most 100 ids');
      return [...new Set(items.map((item, i) => normaliseRef(`${field}.${i}`, item, type.target)))];
    }
    case 'targets': {
      if (!Array.isArray(value)) throw invalidField(field, 'expected an array of {type, id}');
      const items = value as readonly JsonValue[];
      if (items.length > 50) throw invalidField(field, 'at most 50 targets');
      const seen = new Set<string>();
      const targets: { type: string; id: string }[] = [];
      items.forEach((item, i) => {
        const at = `${field}.${i}`;
        if (item === null || typeof item !== 'object' || Array.isArray(item))
          throw invalidField(at, 'expected {type, id}');
        const raw = item as { readonly [key: string]: JsonValue };
        const type = expectString(`${at}.type`, raw.type ?? null);
        if (!(AGGREGATE_TYPES as readonly string[]).includes(type))
          throw invalidField(`${at}.type`, `one of ${AGGREGATE_TYPES.join(', ')}`);
        const id = normaliseRef(`${at}.id`, raw.id ?? null, type);
        if (seen.has(id)) return;
        seen.add(id);
        targets.push({ type, id });
      });
      return targets;
    }
    case 'stages':
      return normaliseStages(field, value) as unknown as JsonValue;
  }
}
