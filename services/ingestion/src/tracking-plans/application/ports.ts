import { type PlanMode, type TrackingPlan, type TrackingPlanRules } from '../domain/tracking-plan';

export interface TrackingPlanPatch {
  readonly name?: string;
  readonly mode?: PlanMode;
  readonly rules?: TrackingPlanRules;
}

/** Tracking plans of a workspace. Every method filters by workspace. */
export interface TrackingPlanRepository {
  insert(plan: TrackingPlan): Promise<void>;
  find(workspaceId: string, planId: string): Promise<TrackingPlan | undefined>;
  list(workspaceId: string): Promise<TrackingPlan[]>;
  /** Applies the patch and increments `version`; undefined if not in the workspace. */
  update(
    workspaceId: string,
    planId: string,
    patch: TrackingPlanPatch,
    at: Date,
  ): Promise<TrackingPlan | undefined>;
  /** Deletes the plan (sources using it are detached); false if not in the workspace. */
  delete(workspaceId: string, planId: string): Promise<boolean>;
  /** The plan attached to a source of the workspace (null: none or no such source). */
  findForSource(workspaceId: string, sourceId: string): Promise<TrackingPlan | null>;
}

export const TRACKING_PLAN_REPOSITORY = Symbol.for('cdp.ingestion.tracking-plan-repository');
