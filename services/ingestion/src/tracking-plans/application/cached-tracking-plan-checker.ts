import { DomainError } from '@cdp/contracts';
import { type Clock, type KeyChangeBus } from '@cdp/tenancy';
import { checkAgainstPlan, type CompiledPlan } from '../domain/plan-verdict';
import { type PlanCompiler } from './plan-compiler.port';
import { type TrackingPlanRepository } from './ports';
import {
  type PlannedEvent,
  type PlanVerdict,
  type TrackingPlanChecker,
} from './tracking-plan-checker.port';

export interface TrackingPlanCheckerOptions {
  /** How long a source's plan is trusted without a read (safety net behind NATS invalidation). */
  readonly ttlMs: number;
  readonly maxSources: number;
  readonly maxPlans: number;
}

const DEFAULTS: TrackingPlanCheckerOptions = { ttlMs: 60_000, maxSources: 10_000, maxPlans: 1_000 };

interface SourceEntry {
  readonly planId: string | null;
  readonly expiresAtMs: number;
}

const ALLOW: PlanVerdict = { action: 'allow' };

function setBounded<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done === true) break;
    map.delete(oldest.value);
  }
}

/**
 * Tracking-plan checks with no I/O per event: which plan each source uses, and each plan's
 * compiled validators (per version), are cached in-process. A miss reads the source's plan once
 * (concurrent misses share the read); afterwards `check` answers synchronously.
 *
 * Invalidation: plan changes (keyId = plan id) and source re-attachments (keyId = source id)
 * arrive on the tracking-plan bus (core NATS) and drop the entries at once in every process; a
 * reconnect clears everything; the TTL bounds staleness if a message is lost. A load that raced
 * an invalidation is not cached (epoch check).
 */
export class CachedTrackingPlanChecker implements TrackingPlanChecker {
  private readonly sources = new Map<string, SourceEntry>();
  private readonly plans = new Map<string, CompiledPlan>();
  private readonly inflight = new Map<string, Promise<CompiledPlan | null>>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly options: TrackingPlanCheckerOptions;
  private epoch = 0;
  readonly stats = { hits: 0, loads: 0, invalidations: 0 };

  constructor(
    private readonly repository: TrackingPlanRepository,
    private readonly compiler: PlanCompiler,
    bus: KeyChangeBus,
    private readonly clock: Clock,
    options: Partial<TrackingPlanCheckerOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.unsubscribe.push(
      bus.onKeyChanged((event) => this.invalidate(event.workspaceId, event.keyId)),
      bus.onResync(() => this.clear()),
    );
  }

  check(
    workspaceId: string,
    sourceId: string,
    event: PlannedEvent,
  ): PlanVerdict | Promise<PlanVerdict> {
    const key = `${workspaceId}:${sourceId}`;
    const entry = this.sources.get(key);
    if (entry !== undefined && entry.expiresAtMs > this.clock.now().getTime()) {
      if (entry.planId === null) {
        this.stats.hits++;
        return ALLOW;
      }
      const plan = this.plans.get(entry.planId);
      if (plan !== undefined) {
        this.stats.hits++;
        return checkAgainstPlan(plan, event);
      }
    }
    return this.loadSource(workspaceId, sourceId, key).then((plan) =>
      plan === null ? ALLOW : checkAgainstPlan(plan, event),
    );
  }

  /** Drops what is cached about `id` (a plan id or a source id) of a workspace. */
  invalidate(workspaceId: string, id: string): void {
    this.stats.invalidations++;
    this.epoch++;
    this.sources.delete(`${workspaceId}:${id}`);
    if (this.plans.delete(id)) {
      for (const [key, entry] of this.sources) if (entry.planId === id) this.sources.delete(key);
    }
  }

  clear(): void {
    this.epoch++;
    this.sources.clear();
    this.plans.clear();
  }

  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private loadSource(
    workspaceId: string,
    sourceId: string,
    key: string,
  ): Promise<CompiledPlan | null> {
    const pending = this.inflight.get(key);
    if (pending !== undefined) return pending;
    const load = this.load(workspaceId, sourceId, key).finally(() => this.inflight.delete(key));
    this.inflight.set(key, load);
    return load;
  }

  private async load(
    workspaceId: string,
    sourceId: string,
    key: string,
  ): Promise<CompiledPlan | null> {
    const token = this.epoch;
    this.stats.loads++;
    let plan;
    try {
      plan = await this.repository.findForSource(workspaceId, sourceId);
    } catch {
      throw new DomainError(
        'unavailable',
        'tracking_plan.store_unavailable',
        'cannot load the tracking plan right now',
        undefined,
        1,
      );
    }
    const compiled = plan === null ? null : this.compiler.compile(plan);
    // An invalidation raced this read: answer with what was read, but do not cache it.
    if (token !== this.epoch) return compiled;
    if (compiled !== null) {
      const cached = this.plans.get(compiled.planId);
      // Keep the newest version if two loads of one plan race.
      if (cached === undefined || cached.version <= compiled.version)
        setBounded(this.plans, compiled.planId, compiled, this.options.maxPlans);
    }
    setBounded(
      this.sources,
      key,
      {
        planId: compiled?.planId ?? null,
        expiresAtMs: this.clock.now().getTime() + this.options.ttlMs,
      },
      this.options.maxSources,
    );
    return compiled;
  }
}
