import { type PipeTransform } from '@nestjs/common';
import { DomainError } from '@cdp/contracts';
import { type z } from 'zod';

/** Validates (and transforms) a body/query/param with zod; failures are DomainError `invalid` naming each field. */
export class ZodValidationPipe<T> implements PipeTransform<unknown, T> {
  constructor(private readonly schema: z.ZodType<T>) {}

  transform(value: unknown): T {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const issues = result.error.issues.map((issue) => ({
      field: issue.path.length === 0 ? '(body)' : issue.path.map(String).join('.'),
      message: issue.message,
    }));
    const first = issues[0];
    throw new DomainError(
      'invalid',
      'request.invalid',
      first === undefined ? 'invalid request' : `${first.field}: ${first.message}`,
      { issues },
    );
  }
}
