import { DomainError } from '@cdp/contracts';
import { type TenantContext } from '@cdp/tenancy';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Actor } from '../../application/record-store.port';
import { type JsonObject, type JsonValue } from '../../domain/record-types';

export function parse<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : where;
  throw new DomainError('invalid', 'request.invalid', `${field}: ${issue?.message ?? 'invalid'}`, {
    field,
  });
}

const jsonObject = z.record(z.string(), z.json());
export const expectedVersionSchema = z.number().int().min(0).optional();

/** `{ ...fields, customFields?, expectedVersion? }`: fields at top level, like the views. */
export const recordBody = z
  .record(z.string(), z.json())
  .refine((b) => b.customFields === undefined || jsonObjectOrNull(b.customFields), {
    message: 'customFields must be an object',
    path: ['customFields'],
  });

function jsonObjectOrNull(value: unknown): boolean {
  return jsonObject.safeParse(value).success;
}

export interface RecordInput {
  readonly fields: JsonObject;
  readonly customFields: JsonObject;
  readonly expectedVersion: number | undefined;
}

const RESERVED = new Set(['id', 'version', 'archived', 'createdAt', 'updatedAt']);

/** Splits a record body into fields, custom fields and the expected version. */
export function recordInput(body: unknown, where = '(body)'): RecordInput {
  const parsed = parse(recordBody, body ?? {}, where) as Record<string, JsonValue>;
  const { customFields, expectedVersion, ...fields } = parsed;
  for (const key of Object.keys(fields))
    if (RESERVED.has(key))
      throw new DomainError('invalid', 'crm.field_not_writable', `${key}: set by the CRM`, {
        field: key,
      });
  return {
    fields,
    customFields: (customFields ?? {}) as JsonObject,
    expectedVersion: parse(expectedVersionSchema, expectedVersion, 'expectedVersion'),
  };
}

/**
 * The version a write expects: `If-Match: "3"` (the ETag of a GET) or `expectedVersion` in the
 * body; both given must agree.
 */
export function expectedVersion(
  ifMatch: string | undefined,
  fromBody: number | undefined,
): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return fromBody;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(ifMatch);
  if (!match?.[1])
    throw new DomainError(
      'invalid',
      'request.invalid_if_match',
      'If-Match: expected an ETag "<version>"',
      {
        field: 'If-Match',
      },
    );
  const version = Number(match[1]);
  if (fromBody !== undefined && fromBody !== version)
    throw new DomainError(
      'invalid',
      'request.invalid_if_match',
      'If-Match and expectedVersion disagree',
      { field: 'If-Match' },
    );
  return version;
}

export function etag(version: number): string {
  return `"${version}"`;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Who (the API key, and an optional display name) and from where (address, user agent). */
export function actorOf(
  tenant: TenantContext,
  request: FastifyRequest,
  channel: Actor['via']['channel'] = 'api',
): Actor {
  const displayName = header(request, 'x-actor-name')?.slice(0, 200);
  const userAgent = header(request, 'user-agent')?.slice(0, 300);
  const requestId = header(request, 'x-request-id')?.slice(0, 200);
  return {
    type: 'api_key',
    id: tenant.keyId,
    ...(displayName ? { displayName } : {}),
    via: {
      channel,
      ip: request.ip,
      ...(userAgent ? { userAgent } : {}),
      ...(requestId ? { requestId } : {}),
    },
  };
}
