import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { DomainError } from '@cdp/contracts';
import { type Violation } from '../../events/domain/accepted-event';
import { type PlanCompiler } from '../application/plan-compiler.port';
import { type CompiledPlan, type ValueValidator } from '../domain/plan-verdict';
import { type JsonSchema, type TrackingPlan } from '../domain/tracking-plan';

/** `/items/0/sku` → `items[0].sku` (JSON Pointer to the dotted path people read). */
export function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  let path = '';
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(token) ? `[${token}]` : path === '' ? token : `.${token}`;
  }
  return path;
}

function join(base: string, property: string): string {
  return base === '' ? property : `${base}.${property}`;
}

/** One violation per ajv error, pointing at the offending (or missing) field. */
export function violationOf(error: ErrorObject): Violation {
  const base = pointerToPath(error.instancePath);
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  if (error.keyword === 'required' && params.missingProperty !== undefined)
    return { path: join(base, params.missingProperty), message: 'is required' };
  if (error.keyword === 'additionalProperties' && params.additionalProperty !== undefined)
    return { path: join(base, params.additionalProperty), message: 'is not allowed by the plan' };
  return { path: base, message: error.message ?? `fails ${error.keyword}` };
}

function toValidator(validate: ValidateFunction): ValueValidator {
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map(violationOf));
}

/**
 * Ajv (draft-07 vocabulary plus formats) in strict mode: unknown keywords, unknown formats and
 * ambiguous schemas are refused when the plan is written. `strictTypes`/`strictRequired` stay off:
 * `{ properties: …, required: […] }` without `type: "object"` is common and unambiguous here.
 * One Ajv instance per compiled plan version, so an old version's functions are garbage collected
 * with it.
 */
export class AjvPlanCompiler implements PlanCompiler {
  compile(plan: Pick<TrackingPlan, 'id' | 'version' | 'mode' | 'rules'>): CompiledPlan {
    const ajv = new Ajv({
      strict: true,
      strictTypes: false,
      strictRequired: false,
      allErrors: true,
      allowUnionTypes: true,
    });
    addFormats(ajv);
    const compile = (schema: JsonSchema, field: string): ValueValidator => {
      try {
        return toValidator(ajv.compile(schema as object));
      } catch (error) {
        throw new DomainError(
          'invalid',
          'tracking_plan.invalid_schema',
          `${field}: invalid JSON Schema: ${error instanceof Error ? error.message : String(error)}`,
          { field },
        );
      }
    };
    const compileAll = (schemas: Readonly<Record<string, JsonSchema>>, field: string) =>
      new Map(
        Object.entries(schemas).map(([name, schema]) => [
          name,
          compile(schema, `${field}.${name}`),
        ]),
      );
    const { rules } = plan;
    return {
      planId: plan.id,
      version: plan.version,
      mode: plan.mode,
      allowUnplannedEvents: rules.allowUnplannedEvents,
      events: compileAll(rules.events, 'rules.events'),
      ...(rules.identify === undefined
        ? {}
        : { identify: compile(rules.identify, 'rules.identify') }),
      ...(rules.group === undefined ? {} : { group: compile(rules.group, 'rules.group') }),
      pages: compileAll(rules.pages, 'rules.pages'),
      screens: compileAll(rules.screens, 'rules.screens'),
    };
  }
}
