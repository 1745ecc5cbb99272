import { type JsonValue } from '../domain/definition';
import { matchesStep, type MatcherKey } from '../domain/event-matcher';
import {
  type CrmChange,
  type Hit,
  type IdentifierRef,
  type TraitChange,
  type UnitOfWork,
} from './ports';
import { type RealtimeEvaluator, type RealtimeOutcome } from './realtime-evaluator';
import { type SegmentCatalog } from './segment-catalog';

/** A resolved event as segmentation reads it (cdp.identity.v1.ResolvedEvent). */
export interface ResolvedEventInput {
  readonly profileId: string;
  readonly messageId: string;
  readonly type: string;
  readonly event: string;
  readonly userId: string;
  readonly anonymousId: string;
  readonly properties: Readonly<Record<string, JsonValue>> | undefined;
  readonly timestamp: number;
  /** The CRM contact this (synthetic identify) event links to the profile, if any. */
  readonly crmContactId?: string;
}

/**
 * Real-time inputs: each updates the projection and re-evaluates the affected profiles against
 * the segments the change can affect, in one transaction. All are idempotent: hits are keyed by
 * message id, trait and CRM changes by version, merges and splits re-point rows to where they
 * already are on redelivery, and evaluation is state-based.
 */
export class RealtimeInputsUseCase {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly catalog: SegmentCatalog,
    private readonly evaluator: RealtimeEvaluator,
  ) {}

  async resolvedEvents(
    ws: string,
    events: readonly ResolvedEventInput[],
  ): Promise<RealtimeOutcome> {
    if (events.length === 0) return { entered: 0, exited: 0 };
    const { steps } = await this.catalog.get(ws);
    return this.uow.run(async (tx) => {
      // Locked before reading merged_into: a concurrent merge either committed (we see the
      // survivor) or waits for us (and then moves the hits we insert).
      const stamped = [...new Set(events.map((e) => e.profileId))];
      const mergedInto = await tx.claimProfiles(ws, stamped);
      const canonical = [...mergedInto.values()].some((m) => m !== null)
        ? await tx.canonicalProfiles(ws, stamped)
        : new Map(stamped.map((id) => [id, id]));
      const profileOf = (e: ResolvedEventInput) => canonical.get(e.profileId) ?? e.profileId;
      const survivors = [...new Set(events.map(profileOf))].filter((id) => !stamped.includes(id));
      if (survivors.length > 0) {
        await tx.claimProfiles(ws, survivors);
      }
      const hits: Hit[] = [];
      const keys = new Set<MatcherKey>();
      for (const event of events)
        for (const [key, step] of steps)
          if (matchesStep(step, event)) {
            keys.add(key);
            hits.push({
              matcherKey: key,
              messageId: event.messageId,
              profileId: profileOf(event),
              occurredAt: event.timestamp,
              userId: event.userId,
              anonymousId: event.anonymousId,
            });
          }
      const behaviorChanged = await tx.insertHits(ws, hits);
      const crmChanged: string[] = [];
      for (const event of events)
        if (event.crmContactId)
          crmChanged.push(...(await tx.linkContact(ws, event.crmContactId, profileOf(event))));
      const a = await this.evaluator.evaluate(
        tx,
        ws,
        behaviorChanged,
        { matcherKeys: keys },
        { locked: true },
      );
      const b = await this.evaluator.evaluate(tx, ws, crmChanged, { crm: true });
      return { entered: a.entered + b.entered, exited: a.exited + b.exited };
    });
  }

  profileUpdated(
    ws: string,
    profileId: string,
    version: number,
    changes: readonly TraitChange[],
  ): Promise<RealtimeOutcome> {
    return this.uow.run(async (tx) => {
      const survivor = (await tx.canonicalProfiles(ws, [profileId])).get(profileId) ?? profileId;
      // A late update of a merged profile is not the survivor's: it stays with the merged row.
      if (survivor !== profileId) {
        await tx.applyTraitChanges(ws, profileId, version, changes);
        return { entered: 0, exited: 0 };
      }
      const changed = await tx.applyTraitChanges(ws, profileId, version, changes);
      if (changed.length === 0) return { entered: 0, exited: 0 };
      return this.evaluator.evaluate(tx, ws, [profileId], { traitKeys: new Set(changed) });
    });
  }

  crmChanged(ws: string, change: CrmChange): Promise<RealtimeOutcome> {
    return this.uow.run(async (tx) => {
      const affected = await tx.applyCrmChange(ws, change);
      return this.evaluator.evaluate(tx, ws, affected, { crm: true });
    });
  }

  /** The merged profiles exit every segment; the survivor is re-evaluated with everything moved. */
  profilesMerged(
    ws: string,
    survivor: string,
    merged: readonly string[],
  ): Promise<RealtimeOutcome> {
    return this.uow.run(async (tx) => {
      await tx.mergeProfiles(ws, survivor, merged);
      const gone = merged.filter((id) => id !== survivor);
      const memberships = await tx.currentMemberships(ws, gone);
      const { ordered } = await this.catalog.get(ws);
      let exited = 0;
      for (const active of ordered) {
        const leaving = gone.filter((id) => memberships.get(id)?.has(active.segment.id));
        if (leaving.length > 0)
          exited += (await tx.applyTransitions(ws, active.segment, 'realtime', [], leaving)).exited
            .length;
        await tx.setRechecks(ws, active.segment.id, new Map(gone.map((id) => [id, null])));
      }
      const outcome = await this.evaluator.evaluate(tx, ws, [survivor], { all: true });
      return { entered: outcome.entered, exited: outcome.exited + exited };
    });
  }

  profileSplit(
    ws: string,
    source: string,
    parts: readonly { profileId: string; identifiers: readonly IdentifierRef[] }[],
  ): Promise<RealtimeOutcome> {
    return this.uow.run(async (tx) => {
      await tx.splitProfile(ws, source, parts);
      return this.evaluator.evaluate(tx, ws, [source, ...parts.map((p) => p.profileId)], {
        all: true,
      });
    });
  }

  /** Scheduled re-check of time windows for some (segment, profile) pairs. */
  recheck(ws: string, segmentId: string, profileIds: readonly string[]): Promise<RealtimeOutcome> {
    return this.uow.run((tx) =>
      this.evaluator.evaluate(tx, ws, profileIds, { segmentIds: new Set([segmentId]) }),
    );
  }
}
