import { z } from 'zod';

/** Thrown when the environment does not satisfy a service's schema; lists every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly { variable: string; expected: string }[]) {
    super(
      'invalid configuration:\n' +
        problems.map((p) => `  ${p.variable}: ${p.expected}`).join('\n'),
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
  const got = 'input' in issue && issue.input !== undefined ? ` (got ${JSON.stringify(issue.input)})` : '';
  return `${issue.message}${got}`;
}

/** Names of every variable a schema reads, with whether it has a default. Used by the chart test. */
export function describeEnv(schema: EnvSchema): { name: string; required: boolean; description?: string }[] {
  return Object.entries(schema.shape).map(([name, type]) => {
    const required = !type.safeParse(undefined).success;
    const description = type.description;
    return description === undefined ? { name, required } : { name, required, description };
  });
}
