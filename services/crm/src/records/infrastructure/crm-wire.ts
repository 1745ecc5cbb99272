import { type StoredEvent } from '../application/record-store.port';

/** Contract name in the `cdp-schema` header of every CRM event. */
export const CRM_EVENT_SCHEMA = 'cdp.crm.v1.CrmEvent';

const ACTOR_TYPE: Readonly<Record<StoredEvent['actor']['type'], string>> = {
  user: 'ACTOR_TYPE_USER',
  api_key: 'ACTOR_TYPE_API_KEY',
  system: 'ACTOR_TYPE_SYSTEM',
  integration: 'ACTOR_TYPE_INTEGRATION',
};

/**
 * Stable per event: a re-publish after a crash (outbox) carries the same Nats-Msg-Id, and
 * consumers can deduplicate on it.
 */
export function crmEventMessageId(event: StoredEvent): string {
  return `crm-${event.aggregateId}-v${event.version}`;
}

/** `cdp.crm.v1.CrmEvent` as canonical proto3 JSON (uint64 as a string, Timestamp as RFC 3339). */
export function crmEventJson(event: StoredEvent): Record<string, unknown> {
  return {
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    aggregateVersion: String(event.version),
    type: event.type,
    payload: event.payload,
    actor: {
      type: ACTOR_TYPE[event.actor.type],
      id: event.actor.id,
      ...(event.actor.displayName ? { displayName: event.actor.displayName } : {}),
    },
    occurredAt: event.occurredAt,
  };
}
