import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { MAX_IDENTIFIER_LENGTH, type Identifier, type IdentifierType } from './identifier';
import { type IdentityConfig } from './identity-config';
import { isJunkValue } from './junk-values';

/** Why a raw value did not become an identifier (each is a rule the graph can explain). */
export type RejectionRule =
  | 'identifier.unknown_type'
  | 'identifier.not_a_string'
  | 'identifier.junk_value'
  | 'identifier.too_long'
  | 'identifier.invalid_email'
  | 'identifier.invalid_phone'
  | 'identifier.blocked';

export interface RejectedIdentifier {
  readonly type: IdentifierType;
  /** The raw value as a string, for the debugger and the graph API. */
  readonly raw: string;
  readonly rule: RejectionRule;
  /** Where in the event it was read (`userId`, `traits.email`). */
  readonly path?: string;
  /** The block rule that matched (`regex:^test-`). */
  readonly detail?: string;
}

export type NormalisationResult =
  | { readonly ok: true; readonly identifier: Identifier }
  | { readonly ok: false; readonly rejected: RejectedIdentifier };

// Pragmatic shape check (RFC 5322 is not what people type): one @, no spaces or quotes,
// a dotted domain with a 2+ letter TLD.
const EMAIL =
  /^[^\s@"'<>(),;:\\]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}$/;

/**
 * Turns a raw value read from an event into an identifier of `type`, or says which rule refused
 * it: junk values, over-long values, malformed emails and phones, and the type's block list.
 * Emails are trimmed and lower-cased; phones become E.164 (the workspace's default region
 * applies to numbers written without a country code); other types are trimmed only (ids are
 * case-sensitive).
 */
export function normaliseIdentifier(
  config: IdentityConfig,
  type: IdentifierType,
  raw: unknown,
  path?: string,
): NormalisationResult {
  const rawText = typeof raw === 'string' ? raw : safeString(raw);
  const reject = (rule: RejectionRule, detail?: string): NormalisationResult => ({
    ok: false,
    rejected: {
      type,
      raw: rawText.slice(0, MAX_IDENTIFIER_LENGTH),
      rule,
      ...(path === undefined ? {} : { path }),
      ...(detail === undefined ? {} : { detail }),
    },
  });
  if (!config.has(type)) return reject('identifier.unknown_type');
  if (raw === null || raw === undefined) return reject('identifier.junk_value');
  if (typeof raw !== 'string' && !(typeof raw === 'number' && Number.isSafeInteger(raw)))
    return reject('identifier.not_a_string');
  if (isJunkValue(rawText)) return reject('identifier.junk_value');
  let value = rawText.trim();
  if (value.length > MAX_IDENTIFIER_LENGTH) return reject('identifier.too_long');

  if (type === 'email') {
    value = value.toLowerCase();
    if (value.startsWith('mailto:')) value = value.slice('mailto:'.length);
    if (!EMAIL.test(value)) return reject('identifier.invalid_email');
  } else if (type === 'phone') {
    const phone = parsePhoneNumberFromString(value, config.defaultPhoneRegion);
    if (!phone?.isValid()) return reject('identifier.invalid_phone');
    value = phone.number;
  }

  const rule = config.blockedBy(type, value);
  if (rule) return reject('identifier.blocked', `${rule.kind}:${rule.pattern}`);
  return { ok: true, identifier: { type, value } };
}

function safeString(raw: unknown): string {
  if (raw === null) return 'null';
  if (raw === undefined) return 'undefined';
  if (typeof raw === 'object') return Array.isArray(raw) ? '[array]' : '[object Object]';
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint')
    return String(raw);
  return `[${typeof raw}]`;
}
