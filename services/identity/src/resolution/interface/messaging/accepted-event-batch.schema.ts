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

export type ParsedBatch =
  | { readonly ok: true; readonly items: readonly AcceptedEventItem[] }
  | { readonly ok: false; readonly reason: string };

/** Validates a consumed batch; every item must belong to the message's workspace. */
export function parseAcceptedEventBatch(
  payload: unknown,
  workspaceId: string | undefined,
): ParsedBatch {
  const parsed = acceptedEventBatchSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: `invalid event batch at "${issue ? issue.path.join('.') : ''}": ${issue?.message ?? 'invalid'}`,
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
