import { type Violation } from '../../events/domain/accepted-event';
import { type PlannedEvent, type PlanVerdict } from '../application/tracking-plan-checker.port';
import { type PlanMode } from './tracking-plan';

/** Checks one value against one schema; paths are relative to the value (`price`, `items[0].sku`). */
export type ValueValidator = (value: unknown) => readonly Violation[];

/** A plan with every schema compiled (by ajv, in infrastructure): checking is CPU only. */
export interface CompiledPlan {
  readonly planId: string;
  readonly version: number;
  readonly mode: PlanMode;
  readonly allowUnplannedEvents: boolean;
  readonly events: ReadonlyMap<string, ValueValidator>;
  readonly identify?: ValueValidator;
  readonly group?: ValueValidator;
  readonly pages: ReadonlyMap<string, ValueValidator>;
  readonly screens: ReadonlyMap<string, ValueValidator>;
}

/** Most violations reported for one event (a broken client can violate thousands of fields). */
export const MAX_VIOLATIONS = 20;

function under(root: string, violations: readonly Violation[]): Violation[] {
  return violations.map((v) => ({
    path: v.path === '' ? root : v.path.startsWith('[') ? `${root}${v.path}` : `${root}.${v.path}`,
    message: v.message,
  }));
}

/** An absent `properties`/`traits` is checked as `{}` (so `required` still applies). */
function orEmpty(value: unknown): unknown {
  return value === undefined || value === null ? {} : value;
}

/** The violations of one event against a compiled plan, with paths from the event root. */
export function planViolations(plan: CompiledPlan, event: PlannedEvent): Violation[] {
  switch (event.type) {
    case 'track': {
      const name = event.event ?? '';
      const validate = plan.events.get(name);
      if (validate === undefined) {
        return plan.allowUnplannedEvents
          ? []
          : [{ path: 'event', message: `event "${name}" is not in the tracking plan` }];
      }
      return under('properties', validate(orEmpty(event.properties)));
    }
    case 'identify':
      return plan.identify === undefined
        ? []
        : under('traits', plan.identify(orEmpty(event.traits)));
    case 'group':
      return plan.group === undefined ? [] : under('traits', plan.group(orEmpty(event.traits)));
    case 'page':
    case 'screen': {
      const byName = event.type === 'page' ? plan.pages : plan.screens;
      const validate = event.name === undefined ? undefined : byName.get(event.name);
      return validate === undefined ? [] : under('properties', validate(orEmpty(event.properties)));
    }
    default:
      // alias and anything else: nothing to check.
      return [];
  }
}

/** allow ignores violations; flag keeps the event with them; block rejects it with them. */
export function decideVerdict(mode: PlanMode, violations: readonly Violation[]): PlanVerdict {
  if (violations.length === 0 || mode === 'allow') return { action: 'allow' };
  const capped = violations.slice(0, MAX_VIOLATIONS);
  return mode === 'flag'
    ? { action: 'flag', violations: capped }
    : { action: 'block', violations: capped };
}

export function checkAgainstPlan(plan: CompiledPlan, event: PlannedEvent): PlanVerdict {
  if (plan.mode === 'allow') return { action: 'allow' };
  return decideVerdict(plan.mode, planViolations(plan, event));
}
