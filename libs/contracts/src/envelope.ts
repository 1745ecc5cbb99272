/**
 * The JSON wire form of platform messages: every JetStream message body is the canonical proto3
 * JSON of a `cdp.common.v1.Envelope` whose `payload` is the canonical JSON of the contract named
 * by `schema` (see proto/cdp/common/v1/envelope.proto and libs/contracts/README.md).
 *
 * Producers call `encodeEnvelope` + `envelopeHeaders`; consumers call `decodeEnvelope` (any known
 * contract, discriminated on `schema`) or `decodeEnvelopeOf` (exactly one contract). Every
 * failure is a `DomainError` of kind `invalid` (code `contract.*`): redelivering the same bytes
 * cannot succeed, so the messaging adapter dead-letters it.
 */
import {
  create,
  fromJson,
  toJson,
  type DescMessage,
  type JsonObject,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import { timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { DomainError } from './errors';
import { HEADERS, SUBJECTS } from './streams';
import { EnvelopeSchema, type Envelope } from './gen/cdp/common/v1/envelope_pb';
import { CrmEventSchema } from './gen/cdp/crm/v1/events_pb';
import {
  ProfileMergedSchema,
  ProfileSplitSchema,
  ResolvedEventBatchSchema,
} from './gen/cdp/identity/v1/events_pb';
import { EventBatchSchema } from './gen/cdp/ingestion/v1/event_pb';
import { ErasureRequestedSchema } from './gen/cdp/privacy/v1/events_pb';
import { ProfileUpdatedSchema } from './gen/cdp/profile/v1/events_pb';
import { MembershipChangedSchema } from './gen/cdp/segmentation/v1/events_pb';

/** `content-type` header value of every envelope. */
export const ENVELOPE_CONTENT_TYPE = 'application/json';

/**
 * Every message type that may travel as an envelope payload, by its fully-qualified proto name:
 * the value of `Envelope.schema` and of the `cdp-schema` header. Key = `schema.typeName`
 * (a unit test checks it). Add a contract here when you add its proto.
 */
export const SCHEMAS = {
  'cdp.ingestion.v1.EventBatch': EventBatchSchema,
  'cdp.identity.v1.ResolvedEventBatch': ResolvedEventBatchSchema,
  'cdp.identity.v1.ProfileMerged': ProfileMergedSchema,
  'cdp.identity.v1.ProfileSplit': ProfileSplitSchema,
  'cdp.profile.v1.ProfileUpdated': ProfileUpdatedSchema,
  'cdp.segmentation.v1.MembershipChanged': MembershipChangedSchema,
  'cdp.crm.v1.CrmEvent': CrmEventSchema,
  'cdp.privacy.v1.ErasureRequested': ErasureRequestedSchema,
} as const satisfies Record<string, DescMessage>;

export type ContractName = keyof typeof SCHEMAS;
export type ContractSchema<N extends ContractName> = (typeof SCHEMAS)[N];
/** The generated message type of a contract, e.g. `Contract<'cdp.ingestion.v1.EventBatch'>`. */
export type Contract<N extends ContractName> = MessageShape<ContractSchema<N>>;

/** The contract each subject family (streams.ts SUBJECTS) carries. */
export const CONTRACT_BY_SUBJECT: Readonly<
  Partial<Record<(typeof SUBJECTS)[keyof typeof SUBJECTS], ContractName>>
> = {
  [SUBJECTS.eventAccepted]: 'cdp.ingestion.v1.EventBatch',
  [SUBJECTS.eventResolved]: 'cdp.identity.v1.ResolvedEventBatch',
  [SUBJECTS.profileMerged]: 'cdp.identity.v1.ProfileMerged',
  [SUBJECTS.profileSplit]: 'cdp.identity.v1.ProfileSplit',
  [SUBJECTS.profileUpdated]: 'cdp.profile.v1.ProfileUpdated',
  [SUBJECTS.membershipChanged]: 'cdp.segmentation.v1.MembershipChanged',
};

/**
 * The contract a concrete subject carries (routing tokens included), or undefined when the
 * subject has no single contract. Every `cdp.crm.<aggregate>.<event>.v<N>.…` subject carries a
 * CrmEvent.
 */
export function contractForSubject(subject: string): ContractName | undefined {
  for (const [family, contract] of Object.entries(CONTRACT_BY_SUBJECT)) {
    if (subject === family || subject.startsWith(`${family}.`)) return contract;
  }
  return /^cdp\.crm\.[^.]+\.[^.]+\.v1(\.|$)/.test(subject) ? 'cdp.crm.v1.CrmEvent' : undefined;
}

export function isContractName(name: string): name is ContractName {
  return Object.hasOwn(SCHEMAS, name);
}

/** The schema of a contract name; throws `contract.unknown_schema` for any other string. */
export function schemaOf(name: string): DescMessage {
  if (!isContractName(name)) {
    throw new DomainError(
      'invalid',
      'contract.unknown_schema',
      `unknown contract schema "${name}"`,
      { schema: name },
    );
  }
  return SCHEMAS[name];
}

export interface ContractNameParts {
  /** Bounded context, e.g. `ingestion`. */
  readonly context: string;
  /** Major version from the package suffix (`v1` → 1). */
  readonly version: number;
  /** Message name, e.g. `EventBatch`. */
  readonly message: string;
}

/** Splits `cdp.<context>.v<N>.<Message>`; undefined when the name does not follow the rule. */
export function parseContractName(name: string): ContractNameParts | undefined {
  const m = /^cdp\.([a-z][a-z0-9_]*)\.v([1-9][0-9]*)\.([A-Z][A-Za-z0-9]*)$/.exec(name);
  if (!m || m[1] === undefined || m[2] === undefined || m[3] === undefined) return undefined;
  return { context: m[1], version: Number(m[2]), message: m[3] };
}

export interface EnvelopeInit<N extends ContractName> {
  /** Message id (UUID/ULID), stable across retries of the same fact. */
  readonly id: string;
  readonly workspaceId: string;
  readonly schema: N;
  /** The payload: a message of the contract or its init shape. */
  readonly payload: MessageInitShape<ContractSchema<N>>;
  readonly occurredAt: Date | Timestamp;
  readonly receivedAt?: Date | Timestamp | undefined;
  readonly trace?:
    { readonly traceparent: string; readonly tracestate?: string | undefined } | undefined;
  readonly source?:
    | {
        readonly service: string;
        readonly instance?: string | undefined;
        readonly version?: string | undefined;
      }
    | undefined;
  readonly partition?: number | undefined;
  readonly causationId?: string | undefined;
  readonly correlationId?: string | undefined;
}

function invalid(code: string, message: string, details?: Record<string, unknown>): DomainError {
  return new DomainError('invalid', `contract.${code}`, message, details);
}

function toTimestamp(value: Date | Timestamp): Timestamp {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw invalid('invalid_envelope', 'envelope timestamp is an invalid Date');
    return timestampFromDate(value);
  }
  return value;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Builds the Envelope message (payload as its canonical JSON). */
export function createEnvelope<N extends ContractName>(init: EnvelopeInit<N>): Envelope {
  const { envelope, payload } = buildParts(init);
  envelope.payload = payload;
  return envelope;
}

/** The canonical proto3 JSON of the envelope: what goes on the wire. */
export function envelopeToJson<N extends ContractName>(init: EnvelopeInit<N>): JsonObject {
  const { envelope, payload } = buildParts(init);
  // Same bytes as toJson(EnvelopeSchema, createEnvelope(init)) (payload is the last field, number
  // 15) without converting the payload JSON into a Struct and back: batches are large.
  const json = toJson(EnvelopeSchema, envelope) as JsonObject;
  json['payload'] = payload;
  return json;
}

/** The UTF-8 body of a JetStream message carrying this envelope. */
export function encodeEnvelope<N extends ContractName>(init: EnvelopeInit<N>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(envelopeToJson(init)));
}

/**
 * NATS headers of a message carrying this envelope. `Nats-Msg-Id` is `<workspace>:<id>` so that
 * one tenant's ids can never suppress another's in the JetStream duplicate window.
 */
export function envelopeHeaders(envelope: {
  readonly id: string;
  readonly workspaceId: string;
  readonly schema: string;
  readonly trace?:
    { readonly traceparent: string; readonly tracestate?: string | undefined } | undefined;
}): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADERS.messageId]: natsMsgId(envelope.workspaceId, envelope.id),
    [HEADERS.workspace]: envelope.workspaceId,
    [HEADERS.schema]: envelope.schema,
    [HEADERS.contentType]: ENVELOPE_CONTENT_TYPE,
  };
  if (envelope.trace?.traceparent) headers[HEADERS.traceparent] = envelope.trace.traceparent;
  if (envelope.trace?.tracestate) headers[HEADERS.tracestate] = envelope.trace.tracestate;
  return headers;
}

/** JetStream dedup id, scoped by workspace. */
export function natsMsgId(workspaceId: string, id: string): string {
  return `${workspaceId}:${id}`;
}

function buildParts<N extends ContractName>(
  init: EnvelopeInit<N>,
): { envelope: Envelope; payload: JsonObject } {
  if (!init.id) throw invalid('invalid_envelope', 'envelope id is required');
  if (!init.workspaceId) throw invalid('invalid_envelope', 'envelope workspaceId is required');
  const schema = schemaOf(init.schema);
  if (
    init.partition !== undefined &&
    !(Number.isInteger(init.partition) && init.partition >= 0 && init.partition <= 0xffffffff)
  ) {
    throw invalid('invalid_envelope', `envelope partition must be a uint32, got ${init.partition}`);
  }
  const envelope = create(EnvelopeSchema, {
    id: init.id,
    workspaceId: init.workspaceId,
    schema: init.schema,
    occurredAt: toTimestamp(init.occurredAt),
    receivedAt: init.receivedAt === undefined ? undefined : toTimestamp(init.receivedAt),
    trace:
      init.trace === undefined
        ? undefined
        : { traceparent: init.trace.traceparent, tracestate: init.trace.tracestate ?? '' },
    source:
      init.source === undefined
        ? undefined
        : {
            service: init.source.service,
            instance: init.source.instance ?? '',
            version: init.source.version ?? '',
          },
    partition: init.partition,
    causationId: init.causationId ?? '',
    correlationId: init.correlationId ?? '',
  });
  let payload: JsonObject;
  try {
    payload = toJson(
      schema,
      create(schema, init.payload as MessageInitShape<DescMessage>),
    ) as JsonObject;
  } catch (err) {
    throw invalid('invalid_payload', `cannot encode ${init.schema}: ${errorMessage(err)}`, {
      schema: init.schema,
    });
  }
  return { envelope, payload };
}

/** A decoded envelope: metadata plus the typed payload. */
export interface DecodedEnvelope<N extends ContractName = ContractName> {
  readonly schema: N;
  /** Envelope metadata; `envelope.payload` is left unset (decoded into `payload`). */
  readonly envelope: Envelope;
  readonly payload: Contract<N>;
}

/** Union over every contract: `switch (decoded.schema)` narrows `payload`. */
export type AnyDecodedEnvelope = { [N in ContractName]: DecodedEnvelope<N> }[ContractName];

export interface DecodeOptions {
  /** Value of the `cdp-schema` header: the body's `schema` must equal it. */
  readonly schemaHeader?: string | undefined;
  /** Value of the `cdp-workspace` header: the body's `workspaceId` must equal it. */
  readonly workspaceHeader?: string | undefined;
}

/**
 * Reads a message body. Unknown JSON fields are ignored (a newer producer may add fields during
 * a rolling deploy); unknown schemas, header mismatches and malformed values are rejected.
 */
export function decodeEnvelope(
  body: Uint8Array | string,
  options: DecodeOptions = {},
): AnyDecodedEnvelope {
  const json = parseBody(body);
  const { payload: rawPayload, ...rest } = json;
  let envelope: Envelope;
  try {
    envelope = fromJson(EnvelopeSchema, rest, { ignoreUnknownFields: true });
  } catch (err) {
    throw invalid('invalid_envelope', `malformed envelope: ${errorMessage(err)}`);
  }
  if (!envelope.id) throw invalid('invalid_envelope', 'envelope id is missing');
  if (!envelope.workspaceId) throw invalid('invalid_envelope', 'envelope workspaceId is missing');
  if (envelope.occurredAt === undefined)
    throw invalid('invalid_envelope', 'envelope occurredAt is missing');
  if (options.schemaHeader !== undefined && options.schemaHeader !== envelope.schema) {
    throw invalid(
      'schema_mismatch',
      `cdp-schema header "${options.schemaHeader}" does not match the body schema "${envelope.schema}"`,
      {
        header: options.schemaHeader,
        body: envelope.schema,
      },
    );
  }
  if (options.workspaceHeader !== undefined && options.workspaceHeader !== envelope.workspaceId) {
    throw invalid(
      'workspace_mismatch',
      'cdp-workspace header does not match the body workspaceId',
      {
        header: options.workspaceHeader,
        body: envelope.workspaceId,
      },
    );
  }
  const schema = schemaOf(envelope.schema);
  if (
    rawPayload === undefined ||
    rawPayload === null ||
    typeof rawPayload !== 'object' ||
    Array.isArray(rawPayload)
  ) {
    throw invalid('invalid_payload', `payload of ${envelope.schema} must be a JSON object`, {
      schema: envelope.schema,
    });
  }
  let payload: MessageShape<DescMessage>;
  try {
    payload = fromJson(schema, rawPayload, { ignoreUnknownFields: true });
  } catch (err) {
    throw invalid('invalid_payload', `malformed ${envelope.schema}: ${errorMessage(err)}`, {
      schema: envelope.schema,
    });
  }
  return { schema: envelope.schema, envelope, payload } as AnyDecodedEnvelope;
}

/** Reads a message body that must carry contract `name` (e.g. what a consumer subscribed to). */
export function decodeEnvelopeOf<N extends ContractName>(
  body: Uint8Array | string,
  name: N,
  options: DecodeOptions = {},
): DecodedEnvelope<N> {
  const decoded = decodeEnvelope(body, options);
  if (decoded.schema !== name) {
    throw invalid('schema_mismatch', `expected ${name}, got ${decoded.schema}`, {
      expected: name,
      actual: decoded.schema,
    });
  }
  return decoded as unknown as DecodedEnvelope<N>;
}

function parseBody(body: Uint8Array | string): JsonObject {
  let text: string;
  try {
    text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw invalid('invalid_json', 'message body is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalid('invalid_json', `message body is not JSON: ${errorMessage(err)}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw invalid('invalid_json', 'message body must be a JSON object');
  }
  return json as JsonObject;
}
