/**
 * Identifiers of a person as the identity graph stores them: a type (built-in or declared per
 * workspace) and a normalised value. `cdp.common.v1.Identifier` on the wire.
 */
export const BUILT_IN_IDENTIFIER_TYPES = [
  'user_id',
  'email',
  'phone',
  'crm_contact_id',
  'anonymous_id',
] as const;
export type BuiltInIdentifierType = (typeof BUILT_IN_IDENTIFIER_TYPES)[number];

/** Built-in or custom (lower_snake_case, declared in the workspace's identity config). */
export type IdentifierType = string;

export const IDENTIFIER_TYPE_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;
/** Longer values are not identifiers but payloads (and would bloat every index). */
export const MAX_IDENTIFIER_LENGTH = 256;

export interface Identifier {
  readonly type: IdentifierType;
  readonly value: string;
}

/** `type:value`: the key identifiers are indexed, locked and linked by. */
export type IdentifierKey = string;

export function identifierKey(identifier: Identifier): IdentifierKey {
  return `${identifier.type}:${identifier.value}`;
}

export function parseIdentifierKey(key: IdentifierKey): Identifier {
  const colon = key.indexOf(':');
  if (colon <= 0) throw new Error(`not an identifier key: "${key}"`);
  return { type: key.slice(0, colon), value: key.slice(colon + 1) };
}

export function sameIdentifier(a: Identifier, b: Identifier): boolean {
  return a.type === b.type && a.value === b.value;
}

/** Unique by key, first occurrence kept. */
export function uniqueIdentifiers(identifiers: readonly Identifier[]): Identifier[] {
  const seen = new Set<IdentifierKey>();
  const out: Identifier[] = [];
  for (const identifier of identifiers) {
    const key = identifierKey(identifier);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(identifier);
    }
  }
  return out;
}

/** Code-point order of strings: locale-free, so every process sorts alike. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
