import type { FastifyReply, FastifyRequest } from 'fastify';

const ALLOWED_HEADERS = 'Content-Type, Authorization, Content-Encoding, X-Retry-Count';

/** Browsers (analytics.js) call from any site: echo the origin, or `*` without one. */
export function applyCors(request: FastifyRequest, reply: FastifyReply): void {
  const origin = request.headers.origin;
  if (origin === undefined) {
    void reply.header('Access-Control-Allow-Origin', '*');
    return;
  }
  void reply.header('Access-Control-Allow-Origin', origin);
  void reply.header('Access-Control-Allow-Credentials', 'true');
  void reply.header('Vary', 'Origin');
}

/** Answer of a CORS preflight (OPTIONS) on a collection route. */
export function applyPreflight(request: FastifyRequest, reply: FastifyReply): void {
  applyCors(request, reply);
  const requested = request.headers['access-control-request-headers'];
  void reply.header(
    'Access-Control-Allow-Headers',
    typeof requested === 'string' && requested !== '' ? requested : ALLOWED_HEADERS,
  );
  void reply.header('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
  void reply.header('Access-Control-Max-Age', '86400');
}
