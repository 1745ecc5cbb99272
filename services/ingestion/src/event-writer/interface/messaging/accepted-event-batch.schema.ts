import { parseTenantBatch, type ParsedTenantBatch } from '@cdp/messaging';
import { z } from 'zod';
import { EVENT_TYPES, type AcceptedEvent } from '../../../events/domain/accepted-event';

const isoInstant = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not an ISO-8601 time');
const jsonObject = z.record(z.string(), z.json());

/** `cdp.ingestion.v1.Event` as canonical JSON (src/events/domain/accepted-event.ts). */
export const acceptedEventSchema = z.object({
  type: z.enum(EVENT_TYPES),
  messageId: z.string().min(1).max(512),
  workspaceId: z.string().min(1),
  sourceId: z.string(),
  writeKeyId: z.string(),
  userId: z.string().optional(),
  anonymousId: z.string().optional(),
  event: z.string().optional(),
  name: z.string().optional(),
  category: z.string().optional(),
  previousId: z.string().optional(),
  groupId: z.string().optional(),
  properties: jsonObject.optional(),
  traits: jsonObject.optional(),
  context: jsonObject.optional(),
  integrations: jsonObject.optional(),
  timestamp: isoInstant,
  originalTimestamp: isoInstant.optional(),
  sentAt: isoInstant.optional(),
  receivedAt: isoInstant,
  violations: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** `cdp.ingestion.v1.EventBatch`: the body of an accepted-event message. */
export const acceptedEventBatchSchema = z.object({ items: z.array(acceptedEventSchema) });

export type ParsedBatch = ParsedTenantBatch<AcceptedEvent>;

/** Validates a consumed batch; every item must belong to the message's workspace. */
export function parseAcceptedEventBatch(
  payload: unknown,
  workspaceId: string | undefined,
): ParsedBatch {
  return parseTenantBatch<AcceptedEvent>(acceptedEventBatchSchema, payload, workspaceId);
}
