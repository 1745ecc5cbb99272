import { DomainError, type ErrorKind } from '@cdp/contracts';
import { describeError } from './errors';

/** Body of every request/reply answer. */
export type QueryReply<T> =
  | { ok: true; data: T }
  | {
      ok: false;
      error: {
        code: string;
        message: string;
        kind: ErrorKind;
        details?: Readonly<Record<string, unknown>>;
      };
    };

const KINDS: ReadonlySet<string> = new Set<ErrorKind>([
  'invalid',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'too_large',
  'unsupported',
  'rate_limited',
  'unavailable',
]);

/** A handler error as a reply: DomainErrors keep kind and code, anything else is `internal`. */
export function errorReply(error: unknown): QueryReply<never> {
  if (error instanceof DomainError) {
    return {
      ok: false,
      error: {
        code: error.code,
        message: error.message,
        kind: error.kind,
        ...(error.details ? { details: error.details } : {}),
      },
    };
  }
  return {
    ok: false,
    error: { code: 'internal', message: describeError(error), kind: 'unavailable' },
  };
}

/** Decodes a reply body; `{ok:false}` becomes a thrown DomainError, garbage an `unavailable` one. */
export function decodeReply<T>(body: string, subject: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new DomainError(
      'unavailable',
      'messaging.bad_reply',
      `invalid JSON reply from ${subject}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || !('ok' in parsed)) {
    throw new DomainError('unavailable', 'messaging.bad_reply', `malformed reply from ${subject}`);
  }
  const reply = parsed as { ok: unknown; data?: unknown; error?: unknown };
  if (reply.ok === true) return reply.data as T;
  const err = (
    typeof reply.error === 'object' && reply.error !== null ? reply.error : {}
  ) as Record<string, unknown>;
  const kind =
    typeof err.kind === 'string' && KINDS.has(err.kind) ? (err.kind as ErrorKind) : 'unavailable';
  const code = typeof err.code === 'string' ? err.code : 'internal';
  const message = typeof err.message === 'string' ? err.message : `query ${subject} failed`;
  const details =
    typeof err.details === 'object' && err.details !== null
      ? (err.details as Readonly<Record<string, unknown>>)
      : undefined;
  throw new DomainError(kind, code, message, details);
}
