import { type CompiledPlan } from '../domain/plan-verdict';
import { type TrackingPlan } from '../domain/tracking-plan';

/**
 * Compiles every schema of a plan. Throws DomainError `invalid` (`tracking_plan.invalid_schema`,
 * details.field naming the schema, e.g. `rules.events.Order Completed`) for a schema that is not
 * valid strict JSON Schema: used at write time, so a bad schema never reaches collection.
 */
export interface PlanCompiler {
  compile(plan: Pick<TrackingPlan, 'id' | 'version' | 'mode' | 'rules'>): CompiledPlan;
}

export const PLAN_COMPILER = Symbol.for('cdp.ingestion.tracking-plan-compiler');
