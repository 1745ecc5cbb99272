import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { parse as parseForm } from 'node:querystring';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { INGESTION_CONFIG, type IngestionConfig } from '../../../config/ingestion.env';

/** Route config flag (`@RouteConfig(RAW_BODY_ROUTE)`) of routes that decode their body themselves. */
export const RAW_BODY_ROUTE = { cdpRawBody: true } as const;

/** Fastify's own default (1 MiB, libs/runtime) stays the limit of every other route. */
const DEFAULT_BODY_LIMIT = 1024 * 1024;

function wantsRawBody(request: FastifyRequest): boolean {
  const config = request.routeOptions.config as { cdpRawBody?: boolean } | undefined;
  return config?.cdpRawBody === true;
}

/**
 * Collection routes take the body as raw bytes (JSON as `application/json`, as `text/plain` the
 * way analytics.js avoids a CORS preflight, or unlabelled as RudderStack's SDK sends it;
 * optionally gzip) and decode it themselves: strict
 * UTF-8, bounded gunzip, errors naming the problem. Fastify parsers are per content type, not per
 * route, so this replaces the JSON and text parsers with ones that hand raw bytes to routes
 * flagged with RAW_BODY_ROUTE and behave exactly like Fastify's defaults everywhere else.
 */
@Injectable()
export class CollectBodyParsers implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(INGESTION_CONFIG) private readonly config: IngestionConfig,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as { getInstance?: () => unknown } | undefined;
    const fastify = adapter?.getInstance?.() as FastifyInstance | undefined;
    if (fastify === undefined || typeof fastify.addContentTypeParser !== 'function') return;
    const bodyLimit = Math.max(DEFAULT_BODY_LIMIT, this.config.INGEST_MAX_BATCH_BYTES + 1);
    const defaultJson = fastify.getDefaultJsonParser('error', 'error');
    fastify.removeContentTypeParser(['application/json', 'text/plain']);
    if (fastify.hasContentTypeParser('application/x-www-form-urlencoded'))
      fastify.removeContentTypeParser('application/x-www-form-urlencoded');
    fastify.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit },
      (request, body: Buffer, done) => {
        if (wantsRawBody(request)) {
          done(null, body);
          return;
        }
        if (body.length > DEFAULT_BODY_LIMIT) {
          done(
            Object.assign(new Error('Request body is too large'), {
              statusCode: 413,
              code: 'FST_ERR_CTP_BODY_TOO_LARGE',
            }),
            undefined,
          );
          return;
        }
        void defaultJson(request, body.toString('utf8'), done);
      },
    );
    fastify.addContentTypeParser(
      'text/plain',
      { parseAs: 'buffer', bodyLimit },
      (request, body: Buffer, done) => {
        if (wantsRawBody(request)) done(null, body);
        else if (body.length > DEFAULT_BODY_LIMIT)
          done(
            Object.assign(new Error('Request body is too large'), {
              statusCode: 413,
              code: 'FST_ERR_CTP_BODY_TOO_LARGE',
            }),
            undefined,
          );
        else done(null, body.toString('utf8'));
      },
    );
    // RudderStack's Node SDK (axios) posts its gzipped JSON batch unlabelled, which axios sends
    // as application/x-www-form-urlencoded. Collection routes take it as the JSON it is; every
    // other route parses a form as Nest's adapter (formbody) did.
    fastify.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'buffer', bodyLimit },
      (request, body: Buffer, done) => {
        if (wantsRawBody(request)) done(null, body);
        else if (body.length > DEFAULT_BODY_LIMIT)
          done(
            Object.assign(new Error('Request body is too large'), {
              statusCode: 413,
              code: 'FST_ERR_CTP_BODY_TOO_LARGE',
            }),
            undefined,
          );
        else done(null, { ...parseForm(body.toString('utf8')) });
      },
    );
  }
}
