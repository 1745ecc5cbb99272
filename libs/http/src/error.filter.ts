import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DomainError, HTTP_STATUS_BY_KIND, type ErrorBody } from '@cdp/contracts';
import { createLogger } from '@cdp/observability';

const log = createLogger('http');

/** Framework and parser errors carry a status (fastify) or are Nest HttpExceptions. */
interface StatusError {
  statusCode?: number;
  status?: number;
  code?: string;
  message?: string;
}

/**
 * The one place where errors become HTTP responses: DomainError kinds map to statuses, client
 * errors raised by the framework keep their 4xx with our body shape, anything else is a 500
 * that is logged with its stack and never leaks internals.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    // RPC handlers have their own filter in the messaging transport.
    if (host.getType() !== 'http') throw exception;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body, retryAfter } = toHttpError(exception);
    if (status >= 500 && status !== 503) log.error({ err: exception }, 'unhandled error');
    if (retryAfter !== undefined) void reply.header('Retry-After', String(Math.ceil(retryAfter)));
    if (status === 401) void reply.header('WWW-Authenticate', 'Bearer');
    void reply.status(status).send(body);
  }
}

export function toHttpError(exception: unknown): {
  status: number;
  body: ErrorBody;
  retryAfter?: number;
} {
  if (exception instanceof DomainError) {
    const body: ErrorBody = { error: { code: exception.code, message: exception.message } };
    if (exception.details) body.error.details = exception.details;
    const result = { status: HTTP_STATUS_BY_KIND[exception.kind], body };
    return exception.retryAfterSeconds === undefined
      ? result
      : { ...result, retryAfter: exception.retryAfterSeconds };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return { status, body: { error: { code: codeForStatus(status), message: exception.message } } };
  }
  const candidate = (exception ?? {}) as StatusError;
  const status = candidate.statusCode ?? candidate.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return {
      status,
      body: {
        error: {
          code: fastifyCode(candidate.code) ?? codeForStatus(status),
          message: candidate.message ?? 'bad request',
        },
      },
    };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
}

function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'request.invalid';
    case 401:
      return 'auth.unauthenticated';
    case 403:
      return 'auth.forbidden';
    case 404:
      return 'route.not_found';
    case 405:
      return 'route.method_not_allowed';
    case 413:
      return 'request.too_large';
    case 415:
      return 'request.unsupported_media_type';
    case 429:
      return 'request.rate_limited';
    default:
      return status >= 500 ? 'internal' : 'request.invalid';
  }
}

const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'request.too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'request.unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'request.empty_body',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'request.invalid_content_length',
};

function fastifyCode(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  return (
    FASTIFY_CODES[code] ?? (code.startsWith('FST_ERR_CTP') ? 'request.malformed_body' : undefined)
  );
}
