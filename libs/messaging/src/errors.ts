import { DomainError } from '@cdp/contracts';

/** Thrown by `connectNats` when no server answers at the address. */
export class NatsUnavailableError extends Error {
  constructor(
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    const cause = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`NATS unavailable at ${url}${cause}`, options);
    this.name = 'NatsUnavailableError';
  }
}

/**
 * Throw from a handler when redelivering the same message can never succeed (poison message):
 * the transport dead-letters it at once instead of retrying.
 */
export class NonRetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}

/** Whether a handler failure may succeed on redelivery. Unknown errors are retried. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof NonRetryableError) return false;
  if (error instanceof DomainError) return error.retryable;
  return true;
}

/** A one-line description of anything thrown (Nest's RPC filter may turn errors into plain objects). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const message: unknown = error.message;
    if (typeof message === 'string') return message;
  }
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
