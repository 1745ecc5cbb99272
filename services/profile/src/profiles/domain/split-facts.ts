import { type FactIdentifier, type ProfileFact } from './profile-fact';

export interface SplitPartInput {
  readonly profileId: string;
  readonly identifiers: readonly FactIdentifier[];
}

/** Identifier types in the order a fact's owner is looked for (identity's default priority). */
const PRIORITY = ['user_id', 'email', 'phone', 'crm_contact_id', 'anonymous_id'];

/** Phones compare by digits (identity holds E.164; events carry what the user typed). */
function identifierKey(identifier: FactIdentifier): string {
  const value =
    identifier.type === 'phone'
      ? identifier.value.replace(/[^0-9]/g, '')
      : identifier.type === 'email'
        ? identifier.value.trim().toLowerCase()
        : identifier.value;
  return `${identifier.type}\u0000${value}`;
}

function rank(type: string): number {
  const i = PRIORITY.indexOf(type);
  return i < 0 ? PRIORITY.length : i;
}

/**
 * Hands each fact of a split profile to the part that now holds its identifiers (the
 * highest-priority identifier that a part holds decides). Facts no part claims (manual edits,
 * events whose identifiers all stayed with the source) stay with `sourceProfileId`.
 */
export function assignFactsToParts(
  facts: readonly ProfileFact[],
  parts: readonly SplitPartInput[],
  sourceProfileId: string,
): Map<string, ProfileFact[]> {
  const owner = new Map<string, string>();
  for (const part of parts)
    for (const identifier of part.identifiers) owner.set(identifierKey(identifier), part.profileId);
  const result = new Map<string, ProfileFact[]>();
  for (const id of [sourceProfileId, ...parts.map((p) => p.profileId)]) result.set(id, []);
  for (const fact of facts) {
    const ordered = [...fact.identifiers].sort((a, b) => rank(a.type) - rank(b.type));
    let target = sourceProfileId;
    for (const identifier of ordered) {
      const part = owner.get(identifierKey(identifier));
      if (part !== undefined) {
        target = part;
        break;
      }
    }
    result.get(target)?.push(fact);
  }
  return result;
}
