import {
  Controller,
  Get,
  HttpCode,
  Inject,
  Options,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import {
  ApiBasicAuth,
  ApiBody,
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@cdp/contracts';
import { Public } from '@cdp/observability';
import { INGESTION_CONFIG, type IngestionConfig } from '../../../config/ingestion.env';
import type { EventType } from '../../../events/domain/accepted-event';
import {
  WRITE_KEY_VERIFIER,
  type VerifiedWriteKey,
  type WriteKeyVerifier,
} from '../../../sources/application/write-key-verifier.port';
import { CollectEventsUseCase, describe } from '../../application/collect-events.use-case';
import type { CollectResult, EventRejection } from '../../application/event-collector.port';
import { CollectRateLimiter } from '../../application/collect-rate-limiter';
import { clientSettings } from '../../domain/client-settings';
import { locateBatchEvents, locateSingleEvent } from '../../domain/raw-json';
import { isTooLargeError } from '../../domain/segment-event';
import { RAW_BODY_ROUTE } from './collect-body-parsers';
import { decodeCollectBody, writeKeyFromAuthorization, type DecodedBody } from './collect-body';
import { CollectExceptionFilter } from './collect-exception.filter';
import { applyCors, applyPreflight } from './cors';

/** Segment's paths and analytics-next's one-letter aliases. */
const TRACK = ['v1/track', 'v1/t'];
const IDENTIFY = ['v1/identify', 'v1/i'];
const PAGE = ['v1/page', 'v1/p'];
const SCREEN = ['v1/screen', 'v1/s'];
const GROUP = ['v1/group', 'v1/g'];
const ALIAS = ['v1/alias', 'v1/a'];
const BATCH = ['v1/batch', 'v1/import', 'v1/b'];
const SETTINGS = 'v1/projects/:writeKey/settings';
const ALL = [...TRACK, ...IDENTIFY, ...PAGE, ...SCREEN, ...GROUP, ...ALIAS, ...BATCH, SETTINGS];

const EVENT_BODY = {
  schema: {
    type: 'object',
    description:
      'A Segment call: userId/anonymousId, event (track), name/category (page, screen), groupId (group), previousId (alias), properties, traits, context, integrations, timestamp, originalTimestamp, sentAt, messageId; optional writeKey. JSON as application/json or text/plain, optionally Content-Encoding: gzip.',
  },
};
const BATCH_BODY = {
  schema: {
    type: 'object',
    required: ['batch'],
    properties: {
      batch: { type: 'array', items: { type: 'object' }, description: 'calls, each with its type' },
      context: { type: 'object', description: 'merged into each call (its keys win)' },
      integrations: { type: 'object', description: 'merged into each call (its keys win)' },
      sentAt: { type: 'string', format: 'date-time' },
      writeKey: { type: 'string' },
    },
  },
};
const OK = {
  schema: { type: 'object', properties: { success: { type: 'boolean', example: true } } },
};
const BATCH_OK = {
  schema: {
    type: 'object',
    properties: {
      success: { type: 'boolean', example: true },
      accepted: { type: 'integer' },
      rejected: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            index: { type: 'integer' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { field: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  },
};

function errorResponses(): MethodDecorator {
  const decorators = [
    ApiBasicAuth(),
    ApiResponse({ status: 400, description: 'invalid body or event (the field is named)' }),
    ApiResponse({ status: 401, description: 'missing, unknown or revoked write key' }),
    ApiResponse({
      status: 413,
      description:
        'body larger than INGEST_MAX_BATCH_BYTES, or a single call larger than INGEST_MAX_EVENT_BYTES',
    }),
    ApiResponse({ status: 429, description: 'workspace rate limit; see Retry-After' }),
    ApiResponse({ status: 503, description: 'events could not be stored; see Retry-After' }),
  ];
  return (target, key, descriptor) => {
    for (const d of decorators) d(target, key, descriptor);
  };
}

/**
 * Segment-compatible collection API (public: authenticated by the source's write key, as HTTP
 * Basic user name or `writeKey` in the body). Thin: decoding, auth, rate limit, then the
 * collector use case; 200 only once the events are stored in JetStream.
 */
@ApiTags('collection')
@Public()
@UseFilters(CollectExceptionFilter)
@Controller()
export class CollectController {
  private readonly maxBodyBytes: number;

  constructor(
    @Inject(WRITE_KEY_VERIFIER) private readonly verifier: WriteKeyVerifier,
    private readonly collector: CollectEventsUseCase,
    private readonly rateLimiter: CollectRateLimiter,
    @Inject(INGESTION_CONFIG) private readonly config: IngestionConfig,
  ) {
    this.maxBodyBytes = config.INGEST_MAX_BATCH_BYTES;
  }

  @Post(TRACK)
  @HttpCode(200)
  @RouteConfig(RAW_BODY_ROUTE)
  @ApiOperation({ summary: 'Record an action (Segment track; also /v1/t)' })
  @ApiBody(EVENT_BODY)
  @ApiOkResponse(OK)
  @errorResponses()
  track(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.single('track', req, reply);
  }

  @Post(IDENTIFY)
  @HttpCode(200)
  @RouteConfig(RAW_BODY_ROUTE)
  @ApiOperation({ summary: 'Tie a user to traits (Segment identify; also /v1/i)' })
  @ApiBody(EVENT_BODY)
  @ApiOkResponse(OK)
  @errorResponses()
  identify(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.single('identify', req, reply);
  }

  @Post(PAGE)
  @HttpCode(200)
  @RouteConfig(RAW_BODY_ROUTE)
  @ApiOperation({ summary: 'Record a page view (Segment page; also /v1/p)' })
  @ApiBody(EVENT_BODY)
  @ApiOkResponse(OK)
  @errorResponses()
  page(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.single('page', req, reply);
  }

  @Post(SCREEN)
  @HttpCode(200)
  @RouteConfig(RAW_BODY_ROUTE)
  @ApiOperation({ summary: 'Record a mobile screen view (Segment screen; also /v1/s)' })
  @ApiBody(EVENT_BODY)
  @ApiOkResponse(OK)
  @errorResponses()
  screen(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.single('screen', req, reply);
  }

  @Post(GROUP)
  @HttpCode(200)
  @RouteConfig(RAW_BODY_ROUTE)
  @ApiOperation({ summary: 'Associate a user with a group (Segment group; also /v1/g)' })
  @ApiBody(EVENT_BODY)
  @ApiOkResponse(OK)
  @errorResponses()
  group(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.single('group', req, reply);
  }

  @Post(ALIAS)
  @HttpCode(200)
  @RouteConfig(RAW_BODY_ROUTE)
  @ApiOperation({ summary: 'Link a previous id to a user id (Segment alias; also /v1/a)' })
  @ApiBody(EVENT_BODY)
  @ApiOkResponse(OK)
  @errorResponses()
  alias(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.single('alias', req, reply);
  }

  @Post(BATCH)
  @HttpCode(200)
  @RouteConfig(RAW_BODY_ROUTE)
  @ApiOperation({
    summary: 'Send many calls at once (Segment batch; also /v1/import and /v1/b)',
    description:
      'Valid calls are stored, invalid ones are reported by index in `rejected`. 400 only when no call is valid.',
  })
  @ApiBody(BATCH_BODY)
  @ApiOkResponse(BATCH_OK)
  @errorResponses()
  async batch(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const receivedAt = new Date();
    const { source, body } = await this.receive(req, reply);
    // Returned, not awaited: this frame (and the parsed body) ends before JetStream answers.
    return this.collectBatch(source, body, receivedAt);
  }

  private collectBatch(
    source: VerifiedWriteKey,
    body: DecodedBody,
    receivedAt: Date,
  ): Promise<{ success: true; accepted: number; rejected: readonly EventRejection[] }> {
    const items = body.value.batch;
    if (!Array.isArray(items))
      throw invalidField('batch', 'must be an array of events', 'batch.invalid');
    if (items.length === 0)
      throw invalidField('batch', 'must contain at least one event', 'batch.invalid');
    this.rateLimiter.take(source.workspaceId, items.length);
    const rawText = locateBatchEvents(body.text, body.ascii, items.length);
    return this.collector
      .collect(source, items, {
        context: body.value.context,
        integrations: body.value.integrations,
        sentAt: body.value.sentAt,
        receivedAt,
        ...(rawText === undefined ? {} : { rawText }),
      })
      .then(batchResponse);
  }

  @Get(SETTINGS)
  @ApiOperation({
    summary: 'analytics-next CDN settings for a write key',
    description:
      'Point analytics-next at this service with `cdnURL` = its base URL: the settings send its Segment.io destination here.',
  })
  @ApiParam({ name: 'writeKey', description: 'the source write key' })
  @ApiOkResponse({ schema: { type: 'object' } })
  @ApiResponse({ status: 401, description: 'unknown or revoked write key' })
  async settings(
    @Param('writeKey') writeKey: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    applyCors(req, reply);
    await this.verifier.verify(writeKey);
    const base = this.config.INGEST_PUBLIC_URL ?? `${req.protocol}://${req.host}`;
    let url: URL;
    try {
      url = new URL(base);
    } catch {
      throw new DomainError('invalid', 'request.invalid_host', 'the Host header is not valid');
    }
    void reply.header('Cache-Control', 'public, max-age=60');
    return clientSettings(writeKey, url);
  }

  @Options(ALL)
  @HttpCode(204)
  @ApiExcludeEndpoint()
  preflight(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
    applyPreflight(req, reply);
  }

  private async single(type: EventType, req: FastifyRequest, reply: FastifyReply) {
    const receivedAt = new Date();
    const { source, body } = await this.receive(req, reply);
    this.rateLimiter.take(source.workspaceId, 1);
    const rawText = locateSingleEvent(body.text, body.ascii);
    return this.collector
      .collect(source, [body.value], {
        impliedType: type,
        receivedAt,
        knownBytes: body.bytes,
        ...(rawText === undefined ? {} : { rawText }),
      })
      .then(singleResponse);
  }

  /** CORS, write key (Basic header first, else `writeKey` in the body), decoded body. */
  private async receive(
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ source: VerifiedWriteKey; body: DecodedBody }> {
    applyCors(req, reply);
    const headerKey = writeKeyFromAuthorization(req.headers.authorization);
    let source = headerKey === undefined ? undefined : await this.verifier.verify(headerKey);
    const encoding = req.headers['content-encoding'];
    const body = decodeCollectBody(
      req.body,
      typeof encoding === 'string' ? encoding : undefined,
      this.maxBodyBytes,
    );
    const bodyKey = body.value.writeKey;
    if (source === undefined) {
      if (typeof bodyKey !== 'string' || bodyKey === '')
        throw new DomainError(
          'unauthenticated',
          'auth.missing_write_key',
          'a write key is required: HTTP Basic with the write key as user name, or "writeKey" in the body',
        );
      source = await this.verifier.verify(bodyKey);
    }
    // The key is a credential: it must not travel with the event.
    if (bodyKey !== undefined) delete body.value.writeKey;
    return { source, body };
  }
}

function batchResponse(result: CollectResult): {
  success: true;
  accepted: number;
  rejected: readonly EventRejection[];
} {
  if (result.accepted.length === 0) {
    const first = result.rejected[0];
    throw new DomainError(
      'invalid',
      'batch.invalid',
      `no event of the batch is valid; batch.${first?.index ?? 0}.${describe(first?.errors ?? [])}`,
      { accepted: 0, rejected: result.rejected },
    );
  }
  return { success: true, accepted: result.accepted.length, rejected: result.rejected };
}

function singleResponse(result: CollectResult): { success: true } {
  const rejected = result.rejected[0];
  if (rejected !== undefined) {
    // Over INGEST_MAX_EVENT_BYTES: 413 for a single call (in a batch it stays a per-index rejection).
    const tooLarge = rejected.errors.some(isTooLargeError);
    throw new DomainError(
      tooLarge ? 'too_large' : 'invalid',
      tooLarge ? 'event.too_large' : 'event.invalid',
      describe(rejected.errors),
      { errors: rejected.errors },
    );
  }
  return { success: true };
}

function invalidField(field: string, message: string, code: string): DomainError {
  return new DomainError('invalid', code, `${field}: ${message}`, {
    errors: [{ field, message }],
  });
}
