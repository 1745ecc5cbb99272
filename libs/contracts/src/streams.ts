/**
 * Every stream, subject and header name of the platform, defined once.
 *
 * Subjects follow `cdp.<context>.<aggregate>.<event-in-past-tense>.v<N>.<routing tokens>`; each
 * bounded context owns one stream capturing `cdp.<context>.>`. Request/reply queries use core
 * NATS under `cdp.query.<context>.<name>.v<N>`, a prefix no stream captures (a stream matching
 * a request subject would answer it with a PubAck).
 */
export const CONTEXTS = [
  'ingestion',
  'identity',
  'profile',
  'segmentation',
  'crm',
  'activation',
  'privacy',
] as const;
export type BoundedContext = (typeof CONTEXTS)[number];

export interface StreamSpec {
  /** Stream name without namespace. */
  readonly name: string;
  readonly context: BoundedContext | 'deadletter';
  /** Subjects without namespace. */
  readonly subjects: readonly string[];
  readonly description: string;
}

export const STREAMS = {
  ingestion: {
    name: 'EVENTS',
    context: 'ingestion',
    subjects: ['cdp.ingestion.>'],
    description: 'accepted raw events (micro-batches)',
  },
  identity: {
    name: 'IDENTITY',
    context: 'identity',
    subjects: ['cdp.identity.>'],
    description: 'resolved events, merges, splits',
  },
  profile: {
    name: 'PROFILE',
    context: 'profile',
    subjects: ['cdp.profile.>'],
    description: 'profile changes',
  },
  segmentation: {
    name: 'SEGMENT',
    context: 'segmentation',
    subjects: ['cdp.segmentation.>'],
    description: 'segment membership changes',
  },
  crm: { name: 'CRM', context: 'crm', subjects: ['cdp.crm.>'], description: 'CRM domain events' },
  activation: {
    name: 'ACTIVATION',
    context: 'activation',
    subjects: ['cdp.activation.>'],
    description: 'deliveries and journeys',
  },
  privacy: {
    name: 'PRIVACY',
    context: 'privacy',
    subjects: ['cdp.privacy.>'],
    description: 'consent and erasure requests',
  },
  deadletter: {
    name: 'DEAD_LETTER',
    context: 'deadletter',
    subjects: ['cdp.deadletter.>'],
    description: 'messages that exhausted their deliveries',
  },
} as const satisfies Record<string, StreamSpec>;

/** Headers every platform message carries. */
export const HEADERS = {
  messageId: 'Nats-Msg-Id',
  workspace: 'cdp-workspace',
  schema: 'cdp-schema',
  contentType: 'content-type',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /** Set on dead-lettered copies. */
  deadLetterError: 'cdp-dlq-error',
  deadLetterDeliveries: 'cdp-dlq-deliveries',
  deadLetterSubject: 'cdp-dlq-subject',
  deadLetterStream: 'cdp-dlq-stream',
  deadLetterSequence: 'cdp-dlq-sequence',
  deadLetterConsumer: 'cdp-dlq-consumer',
} as const;

/** Builds the subject of an event family with its routing tokens. */
export function eventSubject(family: string, ...routing: readonly (string | number)[]): string {
  for (const token of routing) {
    const t = String(token);
    if (t.length === 0 || /[\s.*>]/.test(t))
      throw new Error(`invalid subject token "${t}" for ${family}`);
  }
  return routing.length === 0 ? family : `${family}.${routing.join('.')}`;
}

export const SUBJECTS = {
  eventAccepted: 'cdp.ingestion.event.accepted.v1',
  eventResolved: 'cdp.identity.event.resolved.v1',
  profileMerged: 'cdp.identity.profile.merged.v1',
  profileSplit: 'cdp.identity.profile.split.v1',
  profileUpdated: 'cdp.profile.profile.updated.v1',
  membershipChanged: 'cdp.segmentation.membership.changed.v1',
  tenancyKeyChanged: 'cdp.query.tenancy.key.changed.v1',
  ingestionWriteKeyChanged: 'cdp.query.ingestion.write-key.changed.v1',
  ingestionTrackingPlanChanged: 'cdp.query.ingestion.tracking-plan.changed.v1',
  ingestionDebuggerEntries: 'cdp.query.ingestion.debugger.entries.v1',
  deadLetter: 'cdp.deadletter.message.failed.v1',
} as const;

/** Core-NATS request/reply subject of a query (never captured by a stream). */
export function querySubject(context: BoundedContext, name: string, version = 1): string {
  return `cdp.query.${context}.${name}.v${version}`;
}

/** Name of the stream that stores a subject, or undefined for core-NATS-only subjects. */
export function streamForSubject(subject: string): StreamSpec | undefined {
  const context = subject.split('.')[1];
  return Object.values(STREAMS).find((s: StreamSpec) => s.context === context);
}
