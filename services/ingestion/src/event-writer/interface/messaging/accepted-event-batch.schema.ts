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

export type ParsedBatch =
  | { readonly ok: true; readonly items: readonly AcceptedEvent[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Validates a consumed batch. Every item must belong to the message's workspace (its
 * `cdp-workspace` header): a batch never writes rows into another tenant's data.
 */
export function parseAcceptedEventBatch(
  payload: unknown,
  workspaceId: string | undefined,
): ParsedBatch {
  const parsed = acceptedEventBatchSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') : '';
    return {
      ok: false,
      reason: `invalid event batch at "${where}": ${issue?.message ?? 'invalid'}`,
    };
  }
  if (workspaceId === undefined)
    return { ok: false, reason: 'message has no cdp-workspace header' };
  const stranger = parsed.data.items.findIndex((item) => item.workspaceId !== workspaceId);
  if (stranger >= 0)
    return {
      ok: false,
      reason: `items.${stranger}.workspaceId does not match the message workspace ${workspaceId}`,
    };
  return { ok: true, items: parsed.data.items };
}
