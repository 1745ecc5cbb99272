import type { Violation } from '../../events/domain/accepted-event';

/** allow: keep as is; flag: keep with violations recorded; block: reject with the violations. */
export type PlanVerdict =
  | { readonly action: 'allow' }
  | { readonly action: 'flag'; readonly violations: readonly Violation[] }
  | { readonly action: 'block'; readonly violations: readonly Violation[] };

/** The event as the checker sees it (before ingestion's own fields are added). */
export interface PlannedEvent {
  readonly type: string;
  readonly event?: string;
  readonly name?: string;
  readonly properties?: unknown;
  readonly traits?: unknown;
  readonly context?: unknown;
}

/** Checks events against the tracking plan of their source (cached; no I/O per event). */
export interface TrackingPlanChecker {
  check(
    workspaceId: string,
    sourceId: string,
    event: PlannedEvent,
  ): PlanVerdict | Promise<PlanVerdict>;
}

export const TRACKING_PLAN_CHECKER = Symbol.for('cdp.ingestion.tracking-plan-checker');
