import { z } from 'zod';
import { type CrmContactChange } from '../../domain/crm-contact-observation';

const isoInstant = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not an ISO-8601 time');

/** `cdp.crm.v1.CrmEvent` as canonical proto3 JSON (uint64 versions are strings there). */
const crmEventSchema = z.looseObject({
  aggregateType: z.string().min(1),
  aggregateId: z.string().min(1).max(256),
  aggregateVersion: z.union([z.string().regex(/^[1-9][0-9]{0,15}$/), z.number().int().min(1)]),
  type: z.string().min(1),
  /** `CrmEvent.occurred_at`: when the CRM change happened. */
  occurredAt: isoInstant.optional(),
  payload: z
    .looseObject({
      fields: z.record(z.string(), z.json()).optional(),
      origin: z.string().optional(),
      occurredAt: isoInstant.optional(),
    })
    .optional(),
});

/** `cdp.common.v1.Envelope` around a CrmEvent, for producers that wrap their messages. */
const envelopeSchema = z.looseObject({
  schema: z.literal('cdp.crm.v1.CrmEvent'),
  workspaceId: z.string().min(1),
  occurredAt: isoInstant,
  payload: z.unknown(),
});

export type ParsedCrmContactEvent =
  | { readonly kind: 'change'; readonly change: CrmContactChange }
  /** Not identity's business (another aggregate or event type, or a CDP echo): ack it. */
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly reason: string };

/**
 * Reads a message of `cdp.crm.contact.>`: a CrmEvent body, or an Envelope carrying one. The
 * change time is the envelope's `occurredAt`, else the CrmEvent's own `occurredAt` (what the CRM
 * service publishes), else `payload.occurredAt`, else the
 * `cdp-occurred-at` header; without any, `fallbackTime` (the first delivery's time is not
 * known here, so the echo's timestamp is then only as stable as the redelivery).
 */
export function parseCrmContactEvent(
  body: unknown,
  message: {
    readonly workspaceId: string | undefined;
    readonly subject: string;
    readonly occurredAtHeader: string | undefined;
  },
  fallbackTime: () => string,
): ParsedCrmContactEvent {
  if (message.workspaceId === undefined)
    return { kind: 'invalid', reason: 'message has no cdp-workspace header' };
  // cdp.crm.contact.<type>.v1.<workspace>
  const tokens = message.subject.split('.');
  const subjectType = tokens[3];
  if (subjectType !== 'created' && subjectType !== 'updated')
    return { kind: 'skip', reason: `contact ${subjectType ?? '?'} carries no identifiers` };
  if (tokens[5] !== message.workspaceId)
    return { kind: 'invalid', reason: 'subject workspace does not match cdp-workspace' };

  let crmEvent: unknown = body;
  let occurredAt: string | undefined;
  const wrapped = envelopeSchema.safeParse(body);
  if (wrapped.success) {
    if (wrapped.data.workspaceId !== message.workspaceId)
      return { kind: 'invalid', reason: 'envelope workspaceId does not match cdp-workspace' };
    crmEvent = wrapped.data.payload;
    occurredAt = wrapped.data.occurredAt;
  }
  const parsed = crmEventSchema.safeParse(crmEvent);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      kind: 'invalid',
      reason: `invalid CrmEvent at "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}`,
    };
  }
  const event = parsed.data;
  if (event.aggregateType !== 'contact' || event.type !== subjectType)
    return { kind: 'invalid', reason: 'CrmEvent aggregate/type does not match its subject' };
  const origin = event.payload?.origin ?? 'crm';
  const header =
    message.occurredAtHeader !== undefined && Number.isFinite(Date.parse(message.occurredAtHeader))
      ? message.occurredAtHeader
      : undefined;
  const when =
    occurredAt ?? event.occurredAt ?? event.payload?.occurredAt ?? header ?? fallbackTime();
  return {
    kind: 'change',
    change: {
      workspaceId: message.workspaceId,
      contactId: event.aggregateId,
      version: Number(event.aggregateVersion),
      type: subjectType,
      fields: event.payload?.fields ?? {},
      origin,
      occurredAt: new Date(when).toISOString(),
    },
  };
}
