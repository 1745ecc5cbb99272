import { inputsOf } from '../domain/analysis';
import { type Condition, type SegmentDefinition } from '../domain/definition';
import { durationMs } from '../domain/duration';
import { evaluate, PrecomputedBehavior, type BehaviorResult } from '../domain/evaluate';
import { matcherKey } from '../domain/event-matcher';
import {
  type BatchReads,
  type BehaviorQueries,
  type Clock,
  type SegmentStore,
  type StoredSegment,
  type UnitOfWork,
} from './ports';

const PAGE = 5000;

export interface BatchSummary {
  readonly segmentId: string;
  readonly version: number;
  readonly evaluatedAt: string;
  readonly members: number;
  readonly entered: number;
  readonly exited: number;
  /** Profiles left to real-time evaluation because they changed while the batch ran. */
  readonly skippedChanged: number;
  readonly evaluatedProfiles: number;
  readonly durationMs: number;
  /** Where the time went: behavioral queries, reading + evaluating profiles, writing transitions, re-checks. */
  readonly phasesMs: { behavior: number; evaluate: number; apply: number; rechecks: number };
}

type Candidates = ReadonlySet<string> | 'all';

function intersect(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  return new Set([...small].filter((x) => large.has(x)));
}

/**
 * Full evaluation of one segment over the workspace: behavioral conditions run as compiled
 * ClickHouse queries (one per node, following merges), everything else through the same
 * evaluator real time uses, over the service's own projections. Only candidate profiles are
 * evaluated when the definition bounds them (an AND with "performed E", "has a deal", "member of
 * S"...): everyone else is a non-member without being read.
 */
export class BatchEvaluator {
  private readonly running = new Map<string, Promise<BatchSummary>>();

  constructor(
    private readonly segments: SegmentStore,
    private readonly reads: BatchReads,
    private readonly behavior: BehaviorQueries,
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    /** false: evaluate every known profile (the benchmark's baseline for candidate bounding). */
    private readonly boundCandidates = true,
  ) {}

  /** Members of a definition now, without recording anything. */
  async preview(
    ws: string,
    definition: SegmentDefinition,
  ): Promise<{ size: number; evaluatedProfiles: number }> {
    const { members, evaluated } = await this.compute(ws, definition, this.clock.now());
    return { size: members.size, evaluatedProfiles: evaluated };
  }

  /** Evaluates and records transitions; concurrent calls for one segment share one run. */
  evaluateSegment(segment: StoredSegment): Promise<BatchSummary> {
    const key = `${segment.workspaceId}/${segment.id}`;
    const running = this.running.get(key);
    if (running) return running;
    const run = this.run(segment).finally(() => this.running.delete(key));
    this.running.set(key, run);
    return run;
  }

  private async run(segment: StoredSegment): Promise<BatchSummary> {
    const started = Date.now();
    const ws = segment.workspaceId;
    const snapshot = await this.reads.now();
    const now = this.clock.now();
    const { members, evaluated, behaviorMs } = await this.compute(ws, segment.definition, now);
    const evaluatedAt = Date.now();
    const current = await this.reads.members(ws, segment.id);
    // Real time evaluated these after the snapshot, from fresher inputs: its answer stands.
    const changed = await this.reads.changedSince(ws, snapshot);
    const entered = [...members].filter((id) => !current.has(id) && !changed.has(id));
    const exited = [...current].filter((id) => !members.has(id) && !changed.has(id));
    let enteredCount = 0;
    let exitedCount = 0;
    for (let i = 0; i < Math.max(entered.length, exited.length); i += PAGE) {
      const inChunk = entered.slice(i, i + PAGE);
      const outChunk = exited.slice(i, i + PAGE);
      const applied = await this.uow.run(async (tx) => {
        await tx.ensureProfiles(ws, inChunk);
        return tx.applyTransitions(ws, segment, 'batch', inChunk, outChunk);
      });
      enteredCount += applied.entered.length;
      exitedCount += applied.exited.length;
    }
    const appliedAt = Date.now();
    await this.scheduleRechecks(segment, now);
    const summary: BatchSummary = {
      segmentId: segment.id,
      version: segment.version,
      evaluatedAt: new Date(now).toISOString(),
      members: members.size,
      entered: enteredCount,
      exited: exitedCount,
      skippedChanged: [...changed].filter((id) => members.has(id) !== current.has(id)).length,
      evaluatedProfiles: evaluated,
      durationMs: Date.now() - started,
      phasesMs: {
        behavior: behaviorMs,
        evaluate: evaluatedAt - started - behaviorMs,
        apply: appliedAt - evaluatedAt,
        rechecks: Date.now() - appliedAt,
      },
    };
    await this.segments.recordEvaluation(ws, segment.id, { ...summary });
    return summary;
  }

  /** Time windows: members and non-members whose "last T" hits leave the window get re-checked then. */
  private async scheduleRechecks(segment: StoredSegment, now: number): Promise<void> {
    const inputs = inputsOf(segment.definition);
    const due = new Map<string, number>();
    for (const node of inputs.behavioral) {
      if (node.window?.type !== 'last') continue;
      const span = durationMs(node.window.duration);
      const keys = node.type === 'event' ? [matcherKey(node)] : node.steps.map(matcherKey);
      for (const key of keys)
        for (const [profile, at] of await this.reads.windowExpiries(
          segment.workspaceId,
          key,
          span,
          now,
        ))
          due.set(profile, Math.min(at, due.get(profile) ?? Infinity));
    }
    const entries = [...due];
    for (let i = 0; i < entries.length; i += PAGE)
      await this.uow.run(async (tx) => {
        const chunk = entries.slice(i, i + PAGE);
        await tx.ensureProfiles(
          segment.workspaceId,
          chunk.map(([id]) => id),
        );
        await tx.setRechecks(segment.workspaceId, segment.id, new Map(chunk));
      });
  }

  private async compute(
    ws: string,
    definition: SegmentDefinition,
    now: number,
  ): Promise<{ members: Set<string>; evaluated: number; behaviorMs: number }> {
    const inputs = inputsOf(definition);
    const results = new Map<Condition, BehaviorResult>();
    const behaviorStarted = Date.now();
    for (const node of inputs.behavioral) results.set(node, await this.behavior.run(node, ws, now));
    const behaviorMs = Date.now() - behaviorStarted;
    const refMembers = new Map<string, Set<string>>();
    for (const ref of inputs.segmentRefs) refMembers.set(ref, await this.reads.members(ws, ref));
    let withContacts: Set<string> | undefined;
    const contacts = async () => (withContacts ??= await this.reads.profilesWithContacts(ws));

    const candidates = async (node: Condition): Promise<Candidates> => {
      switch (node.type) {
        case 'and': {
          let bounded: Set<string> | undefined;
          for (const child of node.conditions) {
            const c = await candidates(child);
            if (c !== 'all') bounded = bounded ? intersect(bounded, c) : new Set(c);
          }
          return bounded ?? 'all';
        }
        case 'or': {
          const union = new Set<string>();
          for (const child of node.conditions) {
            const c = await candidates(child);
            if (c === 'all') return 'all';
            c.forEach((id) => union.add(id));
          }
          return union;
        }
        case 'event':
        case 'sequence': {
          const result = results.get(node);
          return result && !result.negate ? result.profiles : 'all';
        }
        case 'deal':
          return contacts();
        case 'open_tickets': {
          const needsOne =
            (node.operator === 'gt' && node.value >= 0) ||
            ((node.operator === 'gte' || node.operator === 'equals') && node.value >= 1);
          return needsOne ? contacts() : 'all';
        }
        case 'segment':
          return refMembers.get(node.segmentId) ?? new Set();
        case 'not':
        case 'trait':
        case 'computed':
        case 'company':
          return 'all';
      }
    };

    const bound = this.boundCandidates ? await candidates(definition.condition) : 'all';
    const members = new Set<string>();
    let evaluated = 0;
    const evaluatePage = async (ids: readonly string[]): Promise<void> => {
      const facts = await this.uow.run((tx) => tx.loadFacts(ws, ids, { crm: inputs.usesCrm }));
      for (const id of ids) {
        const segments = new Set<string>();
        for (const [ref, set] of refMembers) if (set.has(id)) segments.add(ref);
        const profileFacts = {
          ...(facts.get(id) ?? { traits: {}, crm: { deals: [], companies: [], openTickets: 0 } }),
          segments,
        };
        if (evaluate(definition.condition, profileFacts, new PrecomputedBehavior(results, id), now))
          members.add(id);
      }
      evaluated += ids.length;
    };
    if (bound === 'all') {
      const seen = new Set<string>();
      for await (const page of this.reads.profilePages(ws, PAGE)) {
        page.forEach((id) => seen.add(id));
        await evaluatePage(page);
      }
      // Profiles ClickHouse knows that this projection has not seen yet are people too.
      const unseen = new Set<string>();
      for (const result of results.values())
        result.profiles.forEach((id) => {
          if (!seen.has(id)) unseen.add(id);
        });
      const rest = [...unseen].sort();
      for (let i = 0; i < rest.length; i += PAGE) await evaluatePage(rest.slice(i, i + PAGE));
    } else {
      const ids = [...bound].sort();
      for (let i = 0; i < ids.length; i += PAGE) await evaluatePage(ids.slice(i, i + PAGE));
    }
    return { members, evaluated, behaviorMs };
  }
}
