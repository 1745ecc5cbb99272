import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundException } from '@nestjs/common';
import { DomainError } from '@cdp/contracts';
import { toHttpError } from './error.filter';

test('a domain error maps its kind to a status and keeps code and details', () => {
  const mapped = toHttpError(
    new DomainError('invalid', 'event.invalid', 'userId must be a string', { field: 'userId' }),
  );
  assert.deepEqual(mapped, {
    status: 400,
    body: {
      error: {
        code: 'event.invalid',
        message: 'userId must be a string',
        details: { field: 'userId' },
      },
    },
  });
});

test('overload carries Retry-After', () => {
  const mapped = toHttpError(
    new DomainError('unavailable', 'nats.unavailable', 'try later', undefined, 2),
  );
  assert.equal(mapped.status, 503);
  assert.equal(mapped.retryAfter, 2);
});

test('a parser error from fastify stays a 4xx with our body', () => {
  const mapped = toHttpError(
    Object.assign(new Error('Request body is too large'), {
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    }),
  );
  assert.equal(mapped.status, 413);
  assert.equal(mapped.body.error.code, 'request.too_large');
  const malformed = toHttpError(
    Object.assign(new SyntaxError('Unexpected end of JSON input'), { statusCode: 400 }),
  );
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.error.code, 'request.invalid');
});

test('Nest exceptions keep their status', () => {
  assert.equal(toHttpError(new NotFoundException()).status, 404);
});

test('anything else is a 500 that reveals nothing', () => {
  const mapped = toHttpError(new TypeError('secret detail'));
  assert.deepEqual(mapped, {
    status: 500,
    body: { error: { code: 'internal', message: 'internal error' } },
  });
});
