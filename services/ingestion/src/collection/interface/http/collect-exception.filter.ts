import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import { DomainError } from '@cdp/contracts';
import { toHttpError } from '@cdp/http';
import { createLogger, metricsRegistry } from '@cdp/observability';
import { applyCors } from './cors';

const log = createLogger('ingestion.collection');

const requestsRejected =
  (metricsRegistry.getSingleMetric('ingestion_requests_rejected_total') as
    Counter<'reason'> | undefined) ??
  new Counter({
    name: 'ingestion_requests_rejected_total',
    help: 'Collection requests answered with an error, by error kind',
    labelNames: ['reason'] as const,
    registers: [metricsRegistry],
  });

/**
 * Errors of collection routes, in our body shape like everywhere else, plus what SDKs and
 * browsers need: CORS headers on errors too, `WWW-Authenticate: Basic` (write keys are Basic
 * credentials, not bearer tokens), `Retry-After` on 429/503.
 */
@Catch()
export class CollectExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { status, body, retryAfter } = toHttpError(exception);
    if (status >= 500 && status !== 503) log.error({ err: exception }, 'unhandled error');
    requestsRejected.inc({
      reason:
        exception instanceof DomainError ? exception.kind : status >= 500 ? 'internal' : 'invalid',
    });
    applyCors(request, reply);
    if (retryAfter !== undefined) void reply.header('Retry-After', String(Math.ceil(retryAfter)));
    if (status === 401) void reply.header('WWW-Authenticate', 'Basic realm="cdp", charset="UTF-8"');
    void reply.status(status).send(body);
  }
}
