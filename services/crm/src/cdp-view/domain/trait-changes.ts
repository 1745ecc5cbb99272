/**
 * Folding `ProfileUpdated` diffs into the contact's CDP view. Updates may arrive out of order
 * (redelivery, parallel consumers): each trait remembers the profile version that last set it,
 * and an older version never overwrites a newer one, so the result does not depend on the
 * order of delivery and applying the same update twice changes nothing.
 */

export type TraitValue = unknown;

export interface TraitChange {
  readonly key: string;
  readonly operation: 'set' | 'unset';
  readonly value?: TraitValue;
}

export interface ProfileTraits {
  readonly traits: Readonly<Record<string, TraitValue>>;
  /** Profile version that last changed each key (kept for unset keys too). */
  readonly versions: Readonly<Record<string, number>>;
}

export function applyTraitChanges(
  current: ProfileTraits,
  version: number,
  changes: readonly TraitChange[],
): { next: ProfileTraits; changed: boolean } {
  const traits: Record<string, TraitValue> = { ...current.traits };
  const versions: Record<string, number> = { ...current.versions };
  let changed = false;
  for (const change of changes) {
    const seen = versions[change.key] ?? 0;
    if (version <= seen) continue;
    versions[change.key] = version;
    changed = true;
    if (change.operation === 'unset') delete traits[change.key];
    else traits[change.key] = change.value ?? null;
  }
  return { next: { traits, versions }, changed };
}

/** The view of the computed traits the CRM shows on a contact (docs/integration-contracts.md). */
export function cdpSummary(traits: Readonly<Record<string, TraitValue>>): Record<string, unknown> {
  const pick = (key: string): unknown => traits[key] ?? null;
  return {
    lastSeen: pick('computed.last_seen'),
    firstSeen: pick('computed.first_seen'),
    totalRevenue: pick('computed.total_revenue'),
    ordersCount: pick('computed.orders_count'),
    lastOrderAt: pick('computed.last_order_at'),
    eventCount: pick('computed.event_count'),
  };
}
