import { parseTenantBatch, type ParsedTenantBatch } from '@cdp/messaging';
import { z } from 'zod';
import { type IdentityEventInput } from '../../domain/extract-observation';

const isoInstant = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not an ISO-8601 time');
const jsonObject = z.record(z.string(), z.json());

/**
 * The fields of `cdp.ingestion.v1.Event` (canonical JSON) identity reads; the others are kept
 * as they are (loose object) and travel on with the resolved event.
 */
const acceptedEventSchema = z.looseObject({
  type: z.enum(['track', 'identify', 'page', 'screen', 'group', 'alias']),
  messageId: z.string().min(1).max(512),
  workspaceId: z.string().min(1),
  sourceId: z.string(),
  userId: z.string().optional(),
  anonymousId: z.string().optional(),
  previousId: z.string().optional(),
  traits: jsonObject.optional(),
  context: jsonObject.optional(),
  properties: jsonObject.optional(),
  timestamp: isoInstant,
});

const acceptedEventBatchSchema = z.object({ items: z.array(acceptedEventSchema) });

/** An accepted event: what identity reads, plus every other field, untouched. */
export type AcceptedEventItem = IdentityEventInput & Readonly<Record<string, unknown>>;

export type ParsedBatch = ParsedTenantBatch<AcceptedEventItem>;

/** Validates a consumed batch; every item must belong to the message's workspace. */
export function parseAcceptedEventBatch(
  payload: unknown,
  workspaceId: string | undefined,
): ParsedBatch {
  return parseTenantBatch<AcceptedEventItem>(acceptedEventBatchSchema, payload, workspaceId);
}
