/**
 * Who may insert a messageId into `events`: the decision at the heart of the writer's dedup
 * (docs/adr/0007-event-dedup.md). Every flush claims its ids in the dedup table, then reads back
 * every claim of those ids within the window. The EARLIEST claim owns the id (first seen wins):
 *
 * - owned by this flush → insert;
 * - owner committed (its row is in `events`) → duplicate, drop;
 * - owner not committed and abandoned (older than the claim timeout, or a flush this process saw
 *   fail) → the owner may or may not have inserted: verify against `events`;
 * - owner not committed and recent → another flush is still in flight: defer (retry later).
 */
export interface Claim {
  readonly flushId: string;
  /** Server time of the claim, `YYYY-MM-DD hh:mm:ss.ffffff` (sorts as text). */
  readonly claimedAt: string;
  readonly committed: boolean;
}

export type Ownership =
  | { readonly kind: 'insert'; readonly owner: Claim }
  | { readonly kind: 'duplicate'; readonly owner: Claim }
  | { readonly kind: 'verify'; readonly owner: Claim }
  | { readonly kind: 'defer'; readonly owner: Claim | undefined };

export interface OwnershipContext {
  readonly flushId: string;
  /** Server time of the read-back, same format as `claimedAt`. */
  readonly now: string;
  readonly claimTimeoutMs: number;
  /** Flushes of this process that failed after claiming (their claims are abandoned). */
  readonly failedFlushes: ReadonlySet<string>;
}

/** Earliest claim first; ties broken by flush id so every writer picks the same owner. */
export function ownerOf(claims: readonly Claim[]): Claim | undefined {
  let owner: Claim | undefined;
  for (const c of claims) {
    if (
      owner === undefined ||
      c.claimedAt < owner.claimedAt ||
      (c.claimedAt === owner.claimedAt && c.flushId < owner.flushId)
    )
      owner = c;
  }
  return owner;
}

function parseServerTime(text: string): number {
  return Date.parse(`${text.replace(' ', 'T').slice(0, 23)}Z`);
}

export function decideOwnership(claims: readonly Claim[], ctx: OwnershipContext): Ownership {
  const owner = ownerOf(claims);
  // Our own claim is not visible yet (should not happen on one server): wait and retry.
  if (owner === undefined || !claims.some((c) => c.flushId === ctx.flushId))
    return { kind: 'defer', owner };
  if (owner.flushId === ctx.flushId) return { kind: 'insert', owner };
  if (owner.committed) return { kind: 'duplicate', owner };
  const age = parseServerTime(ctx.now) - parseServerTime(owner.claimedAt);
  if (ctx.failedFlushes.has(owner.flushId) || age >= ctx.claimTimeoutMs)
    return { kind: 'verify', owner };
  return { kind: 'defer', owner };
}
