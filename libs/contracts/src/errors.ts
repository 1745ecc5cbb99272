/**
 * The one error type of the platform. Use cases throw it with a code; the HTTP filter maps the
 * kind to a status and the body `{ error: { code, message, details } }`, the messaging adapter
 * maps it to retry or dead-letter. Nothing below the interface layer knows about HTTP.
 */
export type ErrorKind =
  | 'invalid' // 400: the input is wrong
  | 'unauthenticated' // 401
  | 'forbidden' // 403: authenticated but lacks a scope
  | 'not_found' // 404 (also for resources of another workspace: never reveal existence)
  | 'conflict' // 409: version mismatch, duplicate
  | 'too_large' // 413
  | 'unsupported' // 415
  | 'rate_limited' // 429
  | 'unavailable'; // 503: a dependency is down, retry later

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** Stable machine-readable code, e.g. `workspace.not_found`. */
    readonly code: string,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
    /** Seconds a client should wait (429/503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  /** Whether redelivering the same message could succeed (messaging adapter uses this). */
  get retryable(): boolean {
    return this.kind === 'unavailable' || this.kind === 'rate_limited' || this.kind === 'conflict';
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Readonly<Record<string, unknown>> };
}

export const HTTP_STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported: 415,
  rate_limited: 429,
  unavailable: 503,
};
