import { DomainError } from '@cdp/contracts';
import { type z } from 'zod';
import { type TimelineCursor } from '../../application/profile-queries.service';

export function invalidInput(field: string, message: string): DomainError {
  return new DomainError('invalid', 'request.invalid', `${field}: ${message}`, { field });
}

/** Validates request input; the first issue becomes a 400 naming the field. */
export function parse<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : where;
  throw invalidInput(field, issue?.message ?? 'invalid');
}

/** Opaque timeline cursor: base64url of `<ISO time>|<message id>`. */
export function encodeCursor(cursor: TimelineCursor): string {
  return Buffer.from(`${cursor.at}|${cursor.messageId}`, 'utf8').toString('base64url');
}

export function decodeCursor(text: string): TimelineCursor {
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  const bar = decoded.indexOf('|');
  const at = decoded.slice(0, bar);
  if (bar < 0 || !Number.isFinite(Date.parse(at)))
    throw invalidInput('cursor', 'not a cursor this API returned');
  return { at: new Date(at).toISOString(), messageId: decoded.slice(bar + 1) };
}
