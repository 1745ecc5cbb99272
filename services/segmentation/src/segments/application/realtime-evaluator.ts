import { evaluate, HitsBehavior, nextChangeAt } from '../domain/evaluate';
import { type MatcherKey } from '../domain/event-matcher';
import { type ActiveSegment, type SegmentCatalog } from './segment-catalog';
import { type Clock, type SegmentationTx } from './ports';

/** What changed for the profiles: decides which segments can be affected. */
export interface Trigger {
  readonly matcherKeys?: ReadonlySet<MatcherKey>;
  readonly traitKeys?: ReadonlySet<string>;
  readonly crm?: boolean;
  /** Re-evaluate every segment (merges, splits, re-checks of time windows). */
  readonly all?: boolean;
  /** Only these segments (scheduled re-checks). */
  readonly segmentIds?: ReadonlySet<string>;
}

export interface RealtimeOutcome {
  readonly entered: number;
  readonly exited: number;
}

function affectedBy(active: ActiveSegment, trigger: Trigger): boolean {
  if (trigger.segmentIds) return trigger.segmentIds.has(active.segment.id);
  if (trigger.all) return true;
  const inputs = active.inputs;
  if (trigger.crm && inputs.usesCrm) return true;
  for (const key of trigger.traitKeys ?? []) if (inputs.traitKeys.has(key)) return true;
  for (const key of trigger.matcherKeys ?? []) if (inputs.steps.has(key)) return true;
  return false;
}

/**
 * Re-evaluates some profiles against the segments a change can affect, inside the caller's
 * transaction: locks the profiles, reads their facts, hits and memberships once, evaluates in
 * dependency order (a segment that references another sees its fresh result), and records the
 * transitions (with their MembershipChanged in the outbox) and the next time-window re-checks.
 * State-based, so running it twice changes nothing the second time.
 */
export class RealtimeEvaluator {
  constructor(
    private readonly catalog: SegmentCatalog,
    private readonly clock: Clock,
  ) {}

  async evaluate(
    tx: SegmentationTx,
    ws: string,
    profileIds: readonly string[],
    trigger: Trigger,
    /** locked: the caller created and locked these profiles in this transaction already. */
    options: { locked?: boolean } = {},
  ): Promise<RealtimeOutcome> {
    if (profileIds.length === 0) return { entered: 0, exited: 0 };
    const { ordered } = await this.catalog.get(ws);
    // Segments directly affected, then (transitively) those that reference them.
    const selected = new Set<string>();
    for (const active of ordered) {
      if (
        affectedBy(active, trigger) ||
        [...active.inputs.segmentRefs].some((ref) => selected.has(ref))
      )
        selected.add(active.segment.id);
    }
    if (selected.size === 0) return { entered: 0, exited: 0 };
    const segments = ordered.filter((a) => selected.has(a.segment.id));
    const ids = [...new Set(profileIds)].sort();
    if (!options.locked) await tx.claimProfiles(ws, ids);
    const keys = [...new Set(segments.flatMap((s) => [...s.inputs.steps.keys()]))];
    const { facts, hits, memberships } = await tx.loadEvaluationState(ws, ids, keys, {
      crm: segments.some((s) => s.inputs.usesCrm),
    });
    const now = this.clock.now();
    let entered = 0;
    let exited = 0;
    for (const active of segments) {
      const joining: string[] = [];
      const leaving: string[] = [];
      const rechecks = new Map<string, number | null>();
      for (const id of ids) {
        const current = memberships.get(id) ?? new Set<string>();
        const profileFacts = {
          ...(facts.get(id) ?? { traits: {}, crm: { deals: [], companies: [], openTickets: 0 } }),
          segments: current,
        };
        const profileHits = hits.get(id) ?? new Map<MatcherKey, number[]>();
        const member = evaluate(
          active.segment.definition.condition,
          profileFacts,
          new HitsBehavior(profileHits, now),
          now,
        );
        const was = current.has(active.segment.id);
        if (member && !was) joining.push(id);
        if (!member && was) leaving.push(id);
        // Dependents evaluated later in this loop see the new membership.
        if (member) current.add(active.segment.id);
        else current.delete(active.segment.id);
        memberships.set(id, current);
        if (active.inputs.timeDependent)
          rechecks.set(
            id,
            nextChangeAt(active.segment.definition.condition, profileFacts, profileHits, now) ??
              null,
          );
      }
      if (joining.length > 0 || leaving.length > 0) {
        const applied = await tx.applyTransitions(ws, active.segment, 'realtime', joining, leaving);
        entered += applied.entered.length;
        exited += applied.exited.length;
      }
      if (rechecks.size > 0) await tx.setRechecks(ws, active.segment.id, rechecks);
    }
    return { entered, exited };
  }
}
