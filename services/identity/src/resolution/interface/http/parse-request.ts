import { type z } from 'zod';
import { DomainError } from '@cdp/contracts';

/** Validates a request part; a failure is a 400 naming the first offending field. */
export function parse<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : where;
  throw new DomainError('invalid', 'request.invalid', `${field}: ${issue?.message ?? 'invalid'}`, {
    field,
  });
}
