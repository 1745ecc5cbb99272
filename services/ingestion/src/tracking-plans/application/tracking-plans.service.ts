import { DomainError } from '@cdp/contracts';
import { type Clock, type KeyChangeBus, type TenantContext } from '@cdp/tenancy';
import {
  generateTrackingPlanId,
  isTrackingPlanId,
  TRACKING_PLAN_NAME_MAX_LENGTH,
  type PlanMode,
  type TrackingPlan,
  type TrackingPlanRules,
} from '../domain/tracking-plan';
import { type PlanCompiler } from './plan-compiler.port';
import { type TrackingPlanPatch, type TrackingPlanRepository } from './ports';

export interface CreateTrackingPlanInput {
  readonly name: string;
  readonly mode: PlanMode;
  readonly rules: TrackingPlanRules;
}

function planNotFound(planId: string): DomainError {
  return new DomainError(
    'not_found',
    'tracking_plan.not_found',
    `tracking plan ${planId} not found`,
    { trackingPlanId: planId },
  );
}

/**
 * Tracking plans of the caller's workspace. Every schema is compiled (strict) before a plan is
 * stored, so a bad schema is a 400 naming it and never reaches collection. Changes are broadcast
 * so every process drops its compiled copy.
 */
export class TrackingPlansService {
  constructor(
    private readonly plans: TrackingPlanRepository,
    private readonly compiler: PlanCompiler,
    private readonly changes: KeyChangeBus,
    private readonly clock: Clock,
  ) {}

  async create(actor: TenantContext, input: CreateTrackingPlanInput): Promise<TrackingPlan> {
    const now = this.clock.now();
    const plan: TrackingPlan = {
      id: generateTrackingPlanId(),
      workspaceId: actor.workspaceId,
      name: validName(input.name),
      mode: input.mode,
      rules: input.rules,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    this.compiler.compile(plan);
    await this.plans.insert(plan);
    return plan;
  }

  list(actor: TenantContext): Promise<TrackingPlan[]> {
    return this.plans.list(actor.workspaceId);
  }

  async get(actor: TenantContext, planId: string): Promise<TrackingPlan> {
    if (!isTrackingPlanId(planId)) throw planNotFound(planId);
    const plan = await this.plans.find(actor.workspaceId, planId);
    if (plan === undefined) throw planNotFound(planId);
    return plan;
  }

  async exists(workspaceId: string, planId: string): Promise<boolean> {
    return isTrackingPlanId(planId) && (await this.plans.find(workspaceId, planId)) !== undefined;
  }

  async update(
    actor: TenantContext,
    planId: string,
    input: TrackingPlanPatch,
  ): Promise<TrackingPlan> {
    const before = await this.get(actor, planId);
    const patch: TrackingPlanPatch = {
      ...input,
      ...(input.name === undefined ? {} : { name: validName(input.name) }),
    };
    if (Object.keys(patch).length === 0) return before;
    this.compiler.compile({ ...before, ...patch });
    const updated = await this.plans.update(actor.workspaceId, planId, patch, this.clock.now());
    if (updated === undefined) throw planNotFound(planId);
    await this.broadcast(actor.workspaceId, planId);
    return updated;
  }

  async delete(actor: TenantContext, planId: string): Promise<TrackingPlan> {
    const plan = await this.get(actor, planId);
    if (!(await this.plans.delete(actor.workspaceId, planId))) throw planNotFound(planId);
    await this.broadcast(actor.workspaceId, planId);
    return plan;
  }

  private broadcast(workspaceId: string, planId: string): Promise<void> {
    return this.changes.publish({ workspaceId, keyId: planId, change: 'owner_changed' });
  }
}

function validName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > TRACKING_PLAN_NAME_MAX_LENGTH) {
    throw new DomainError(
      'invalid',
      'tracking_plan.invalid_name',
      `name must be 1 to ${TRACKING_PLAN_NAME_MAX_LENGTH} characters`,
      { field: 'name' },
    );
  }
  return trimmed;
}
