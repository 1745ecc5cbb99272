import type { z } from 'zod';

/** Thrown when the environment does not satisfy a service's schema; lists every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly { variable: string; expected: string }[]) {
    super(
      'invalid configuration:\n' + problems.map((p) => `  ${p.variable}: ${p.expected}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export type EnvSchema = z.ZodObject<Record<string, z.ZodType>>;

/**
 * Validates `env` against `schema` and returns the typed result.
 * Every problem names the variable and what is expected, so an operator can fix a
 * Deployment without reading code.
 */
export function loadConfig<S extends EnvSchema>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    variable: issue.path.map(String).join('.') || '(root)',
    expected: describeIssue(issue),
  }));
  throw new ConfigError(problems);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const got =
    'input' in issue && issue.input !== undefined ? ` (got ${JSON.stringify(issue.input)})` : '';
  return `${issue.message}${got}`;
}

/** Names of every variable a schema reads, with whether it has a default. Used by the chart test. */
export interface EnvVariable {
  name: string;
  /** True when the variable has no default and is not optional. */
  required: boolean;
  /** The default as the variable's string form, when there is one. */
  defaultValue?: string;
  description?: string;
}

export function describeEnv(schema: EnvSchema): EnvVariable[] {
  return Object.entries(schema.shape).map(([name, type]) => {
    const parsed = type.safeParse(undefined);
    const variable: EnvVariable = { name, required: !parsed.success };
    if (parsed.success && parsed.data !== undefined)
      variable.defaultValue = rawDefault(type, parsed.data);
    if (type.description !== undefined) variable.description = type.description;
    return variable;
  });
}

/** The default as it would be written in the environment (before transforms such as flags). */
function rawDefault(type: z.ZodType, parsed: unknown): string {
  const def = (type as { def?: { type?: string; defaultValue?: unknown; in?: z.ZodType } }).def;
  if (def?.type === 'pipe' && def.in) {
    const inner = def.in.safeParse(undefined);
    if (
      inner.success &&
      (typeof inner.data === 'string' ||
        typeof inner.data === 'number' ||
        typeof inner.data === 'boolean')
    )
      return String(inner.data);
  }
  return String(parsed);
}
