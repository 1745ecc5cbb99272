import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpRequestDuration } from '../metrics';

/** `route` label of requests no route matched: one series, whatever URL scanners try. */
export const UNMATCHED_ROUTE = 'unmatched';

const installed = new WeakSet<object>();

/**
 * Observes `http_request_duration_seconds{method,route,status}` for every response of a
 * fastify instance, from an `onResponse` hook rather than a Nest interceptor so that responses
 * produced before interceptors run (guard rejections, 404s, body parse errors) are counted too.
 * `route` is the route TEMPLATE (`/v1/profiles/:id`), never the raw URL, to bound cardinality.
 * Idempotent per instance. Add it before the server listens.
 */
export function installHttpMetrics(fastify: FastifyInstance): void {
  if (installed.has(fastify)) return;
  installed.add(fastify);
  fastify.addHook(
    'onResponse',
    (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      httpRequestDuration.observe(
        { method: request.method, route: routeTemplate(request), status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      done();
    },
  );
}

/** The matched route template, or `unmatched` (404 handler). */
export function routeTemplate(request: FastifyRequest): string {
  const url = request.is404 ? undefined : request.routeOptions.url;
  return url ?? UNMATCHED_ROUTE;
}
