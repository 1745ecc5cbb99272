import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { create, equals, toJson, type JsonObject } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import fc from 'fast-check';
import { DomainError } from './errors';
import { CONTEXTS, HEADERS, SUBJECTS, eventSubject } from './streams';
import {
  CONTRACT_BY_SUBJECT,
  SCHEMAS,
  contractForSubject,
  createEnvelope,
  decodeEnvelope,
  decodeEnvelopeOf,
  encodeEnvelope,
  envelopeHeaders,
  envelopeToJson,
  isContractName,
  parseContractName,
  schemaOf,
  type AnyDecodedEnvelope,
  type EnvelopeInit,
} from './envelope';
import { EnvelopeSchema } from './gen/cdp/common/v1/envelope_pb';
import { EventBatchSchema } from './gen/cdp/ingestion/v1/event_pb';
import { TraitOperation } from './gen/cdp/profile/v1/events_pb';

const OCCURRED = new Date('2025-03-01T10:00:00.123Z');
const RECEIVED = new Date('2025-03-01T10:00:01Z');

function batchInit(
  overrides: Partial<EnvelopeInit<'cdp.ingestion.v1.EventBatch'>> = {},
): EnvelopeInit<'cdp.ingestion.v1.EventBatch'> {
  return {
    id: '01JNAV3Q7Y8Z9ABCDEFGHJKMNP',
    workspaceId: 'ws_1',
    schema: 'cdp.ingestion.v1.EventBatch',
    occurredAt: OCCURRED,
    receivedAt: RECEIVED,
    trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    source: { service: 'ingestion', instance: 'pod-1' },
    partition: 3,
    payload: {
      items: [
        {
          type: 'track',
          messageId: 'm-1',
          anonymousId: 'anon-1',
          event: 'Product Viewed',
          properties: {
            model: 'Škoda Octavia',
            price: 18500.5,
            tags: ['used', 'diesel'],
            dealer: null,
            nested: { a: { b: true } },
          },
          context: { ip: '203.0.113.7', campaign: { source: 'search' } },
          timestamp: timestampFromDate(OCCURRED),
          receivedAt: timestampFromDate(RECEIVED),
          sourceId: 'src_web',
          writeKeyId: 'wk_1',
        },
        {
          type: 'identify',
          messageId: 'm-2',
          userId: 'u-1',
          anonymousId: 'anon-1',
          traits: { email: 'ivanov@example.com' },
        },
      ],
    },
    ...overrides,
  };
}

function assertContractError(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DomainError, `expected a DomainError, got ${String(err)}`);
    assert.equal(err.kind, 'invalid');
    assert.equal(err.code, code);
    assert.equal(err.retryable, false);
    return true;
  });
}

void describe('SCHEMAS', () => {
  void it('keys every contract by its fully-qualified proto name', () => {
    for (const [name, schema] of Object.entries(SCHEMAS)) assert.equal(schema.typeName, name);
  });

  void it('names follow cdp.<context>.v<N>.<Message> with a known context', () => {
    for (const name of Object.keys(SCHEMAS)) {
      const parts = parseContractName(name);
      assert.ok(parts, name);
      assert.ok(
        (CONTEXTS as readonly string[]).includes(parts.context),
        `${name}: unknown context ${parts.context}`,
      );
    }
    assert.deepEqual(parseContractName('cdp.ingestion.v1.EventBatch'), {
      context: 'ingestion',
      version: 1,
      message: 'EventBatch',
    });
    assert.equal(parseContractName('cdp.ingestion.EventBatch'), undefined);
    assert.equal(parseContractName('acme.ingestion.v1.EventBatch'), undefined);
  });

  void it('rejects unknown schema names, including Object prototype keys', () => {
    assert.equal(isContractName('cdp.ingestion.v1.EventBatch'), true);
    assert.equal(isContractName('cdp.ingestion.v2.EventBatch'), false);
    assert.equal(isContractName('toString'), false);
    assertContractError(() => schemaOf('cdp.common.v1.Envelope'), 'contract.unknown_schema');
    assertContractError(() => schemaOf('__proto__'), 'contract.unknown_schema');
  });

  void it('maps subject families to their contract', () => {
    for (const [family, contract] of Object.entries(CONTRACT_BY_SUBJECT))
      assert.ok(isContractName(contract), family);
    assert.equal(
      contractForSubject(eventSubject(SUBJECTS.eventAccepted, 'ws_1', 7)),
      'cdp.ingestion.v1.EventBatch',
    );
    assert.equal(
      contractForSubject(eventSubject(SUBJECTS.profileMerged, 'ws_1')),
      'cdp.identity.v1.ProfileMerged',
    );
    assert.equal(contractForSubject('cdp.crm.deal.stage_changed.v1.ws_1'), 'cdp.crm.v1.CrmEvent');
    assert.equal(contractForSubject('cdp.ingestion.event.accepted.v10.ws_1'), undefined);
    assert.equal(contractForSubject('cdp.activation.delivery.sent.v1.ws_1'), undefined);
  });

  void it('every generated file is re-exported by the package index', () => {
    // dist/src/envelope.spec.js -> libs/contracts/src
    const src = resolve(__dirname, '..', '..', 'src');
    const index = readFileSync(join(src, 'index.ts'), 'utf8');
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
      );
    const files = walk(join(src, 'gen')).filter((f) => f.endsWith('_pb.ts'));
    assert.ok(files.length > 0);
    for (const file of files) {
      const spec = `./${relative(src, file).replace(/\\/g, '/').replace(/\.ts$/, '')}`;
      assert.ok(index.includes(`export * from '${spec}';`), `src/index.ts does not export ${spec}`);
    }
  });
});

void describe('encodeEnvelope / decodeEnvelope', () => {
  void it('round-trips an EventBatch with arbitrary JSON properties', () => {
    const init = batchInit();
    const decoded = decodeEnvelopeOf(encodeEnvelope(init), 'cdp.ingestion.v1.EventBatch');
    assert.equal(decoded.schema, 'cdp.ingestion.v1.EventBatch');
    assert.ok(equals(EventBatchSchema, decoded.payload, create(EventBatchSchema, init.payload)));
    assert.deepEqual(decoded.payload.items[0]?.properties, init.payload.items?.[0]?.properties);
    const env = decoded.envelope;
    assert.equal(env.id, init.id);
    assert.equal(env.workspaceId, 'ws_1');
    assert.equal(env.partition, 3);
    assert.equal(env.source?.service, 'ingestion');
    assert.equal(env.trace?.traceparent, init.trace?.traceparent);
    assert.equal(
      env.occurredAt && timestampDate(env.occurredAt).toISOString(),
      OCCURRED.toISOString(),
    );
    assert.equal(env.payload, undefined);
  });

  void it('writes canonical proto3 JSON', () => {
    const json = envelopeToJson(batchInit());
    assert.deepEqual(json, toJson(EnvelopeSchema, createEnvelope(batchInit())));
    assert.equal(
      JSON.stringify(json),
      JSON.stringify(toJson(EnvelopeSchema, createEnvelope(batchInit()))),
      'same key order',
    );
    assert.equal(json['workspaceId'], 'ws_1');
    assert.equal(json['schema'], 'cdp.ingestion.v1.EventBatch');
    assert.equal(json['occurredAt'], '2025-03-01T10:00:00.123Z');
    assert.equal(json['receivedAt'], '2025-03-01T10:00:01Z');
    assert.deepEqual(json['trace'], {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    assert.equal('causationId' in json, false, 'defaults are omitted');
    const payload = json['payload'] as { items: Record<string, unknown>[] };
    assert.equal(payload.items[0]?.['type'], 'track');
    assert.equal(payload.items[0]?.['messageId'], 'm-1');
    assert.equal(payload.items[0]?.['writeKeyId'], 'wk_1');
  });

  void it('keeps partition 0 and omits an absent partition', () => {
    assert.equal(envelopeToJson(batchInit({ partition: 0 }))['partition'], 0);
    assert.equal(decodeEnvelope(encodeEnvelope(batchInit({ partition: 0 }))).envelope.partition, 0);
    assert.equal('partition' in envelopeToJson(batchInit({ partition: undefined })), false);
    assert.equal(
      decodeEnvelope(encodeEnvelope(batchInit({ partition: undefined }))).envelope.partition,
      undefined,
    );
    assertContractError(
      () => encodeEnvelope(batchInit({ partition: -1 })),
      'contract.invalid_envelope',
    );
    assertContractError(
      () => encodeEnvelope(batchInit({ partition: 1.5 })),
      'contract.invalid_envelope',
    );
  });

  void it('encodes int64 as strings and Value traits', () => {
    const body = encodeEnvelope({
      id: 'e-1',
      workspaceId: 'ws_1',
      schema: 'cdp.profile.v1.ProfileUpdated',
      occurredAt: OCCURRED,
      payload: {
        profileId: 'p-1',
        version: 12345678901234567n,
        changes: [
          {
            key: 'email',
            operation: TraitOperation.SET,
            value: { kind: { case: 'stringValue', value: 'a@example.com' } },
          },
        ],
      },
    });
    const wire = JSON.parse(new TextDecoder().decode(body)) as {
      payload: { version: unknown; changes: { value: unknown }[] };
    };
    assert.equal(wire.payload.version, '12345678901234567');
    assert.equal(wire.payload.changes[0]?.value, 'a@example.com');
    const decoded = decodeEnvelope(body);
    assert.equal(decoded.schema, 'cdp.profile.v1.ProfileUpdated');
    if (decoded.schema !== 'cdp.profile.v1.ProfileUpdated') return;
    assert.equal(decoded.payload.version, 12345678901234567n);
    assert.equal(decoded.payload.changes[0]?.operation, TraitOperation.SET);
  });

  void it('narrows the payload by schema', () => {
    const summarize = (d: AnyDecodedEnvelope): string => {
      if (d.schema === 'cdp.ingestion.v1.EventBatch') return `batch of ${d.payload.items.length}`;
      if (d.schema === 'cdp.identity.v1.ProfileMerged')
        return `merge into ${d.payload.survivingProfileId}`;
      return d.schema;
    };
    assert.equal(summarize(decodeEnvelope(encodeEnvelope(batchInit()))), 'batch of 2');
    const merged = encodeEnvelope({
      id: 'e-2',
      workspaceId: 'ws_1',
      schema: 'cdp.identity.v1.ProfileMerged',
      occurredAt: OCCURRED,
      payload: {
        mergeId: 'mg-1',
        survivingProfileId: 'p-1',
        mergedProfileIds: ['p-2'],
        identifiers: [{ type: 'email', value: 'a@example.com' }],
      },
    });
    assert.equal(summarize(decodeEnvelope(merged)), 'merge into p-1');
  });

  void it('builds headers from the envelope', () => {
    const init = batchInit({ trace: { traceparent: 'tp', tracestate: 'ts' } });
    assert.deepEqual(envelopeHeaders(init), {
      [HEADERS.messageId]: `ws_1:${init.id}`,
      [HEADERS.workspace]: 'ws_1',
      [HEADERS.schema]: 'cdp.ingestion.v1.EventBatch',
      [HEADERS.contentType]: 'application/json',
      [HEADERS.traceparent]: 'tp',
      [HEADERS.tracestate]: 'ts',
    });
    assert.equal(HEADERS.traceparent in envelopeHeaders(batchInit({ trace: undefined })), false);
  });

  void it('ignores unknown fields (newer producers during a rolling deploy)', () => {
    const json = envelopeToJson(batchInit());
    const body = JSON.stringify({
      ...json,
      addedLater: 1,
      payload: { ...(json['payload'] as object), batchStats: { n: 2 } },
    });
    assert.equal(decodeEnvelopeOf(body, 'cdp.ingestion.v1.EventBatch').payload.items.length, 2);
  });
});

void describe('decodeEnvelope rejects', () => {
  const good = envelopeToJson(batchInit());
  const body = (patch: Record<string, unknown>): string => JSON.stringify({ ...good, ...patch });

  void it('an unknown schema', () => {
    assertContractError(
      () => decodeEnvelope(body({ schema: 'cdp.ingestion.v9.EventBatch' })),
      'contract.unknown_schema',
    );
    assertContractError(
      () => decodeEnvelope(body({ schema: 'hasOwnProperty' })),
      'contract.unknown_schema',
    );
    assertContractError(
      () => decodeEnvelope(body({ schema: undefined })),
      'contract.unknown_schema',
    );
    assertContractError(
      () =>
        encodeEnvelope({
          ...batchInit(),
          schema: 'cdp.nope.v1.Nope',
        } as unknown as EnvelopeInit<'cdp.ingestion.v1.EventBatch'>),
      'contract.unknown_schema',
    );
  });

  void it('a cdp-schema or cdp-workspace header that disagrees with the body', () => {
    const ok = body({});
    assert.doesNotThrow(() =>
      decodeEnvelope(ok, { schemaHeader: 'cdp.ingestion.v1.EventBatch', workspaceHeader: 'ws_1' }),
    );
    assertContractError(
      () => decodeEnvelope(ok, { schemaHeader: 'cdp.identity.v1.ProfileMerged' }),
      'contract.schema_mismatch',
    );
    assertContractError(
      () => decodeEnvelope(ok, { workspaceHeader: 'ws_2' }),
      'contract.workspace_mismatch',
    );
  });

  void it('another contract than the one expected', () => {
    assertContractError(
      () => decodeEnvelopeOf(body({}), 'cdp.identity.v1.ResolvedEventBatch'),
      'contract.schema_mismatch',
    );
  });

  void it('bodies that are not a JSON object', () => {
    assertContractError(() => decodeEnvelope('not json'), 'contract.invalid_json');
    assertContractError(() => decodeEnvelope('[1,2]'), 'contract.invalid_json');
    assertContractError(() => decodeEnvelope('null'), 'contract.invalid_json');
    assertContractError(
      () => decodeEnvelope(new Uint8Array([0x7b, 0xff, 0x7d])),
      'contract.invalid_json',
    );
  });

  void it('a malformed or incomplete envelope', () => {
    assertContractError(() => decodeEnvelope(body({ id: undefined })), 'contract.invalid_envelope');
    assertContractError(
      () => decodeEnvelope(body({ workspaceId: '' })),
      'contract.invalid_envelope',
    );
    assertContractError(
      () => decodeEnvelope(body({ occurredAt: undefined })),
      'contract.invalid_envelope',
    );
    assertContractError(
      () => decodeEnvelope(body({ occurredAt: 'yesterday' })),
      'contract.invalid_envelope',
    );
    assertContractError(() => decodeEnvelope(body({ partition: -1 })), 'contract.invalid_envelope');
  });

  void it('a malformed payload', () => {
    assertContractError(
      () => decodeEnvelope(body({ payload: undefined })),
      'contract.invalid_payload',
    );
    assertContractError(() => decodeEnvelope(body({ payload: [1] })), 'contract.invalid_payload');
    assertContractError(
      () => decodeEnvelope(body({ payload: { items: 'many' } })),
      'contract.invalid_payload',
    );
    assertContractError(
      () => decodeEnvelope(body({ payload: { items: [{ timestamp: 'soon' }] } })),
      'contract.invalid_payload',
    );
    assertContractError(
      () => decodeEnvelope(body({ payload: { items: [{ properties: [1] }] } })),
      'contract.invalid_payload',
    );
  });

  void it('an envelope without id or workspace on the way out', () => {
    assertContractError(() => encodeEnvelope(batchInit({ id: '' })), 'contract.invalid_envelope');
    assertContractError(
      () => encodeEnvelope(batchInit({ workspaceId: '' })),
      'contract.invalid_envelope',
    );
    assertContractError(
      () => encodeEnvelope(batchInit({ occurredAt: new Date(Number.NaN) })),
      'contract.invalid_envelope',
    );
  });
});

void describe('properties', () => {
  void it('any JSON object survives as event properties and traits', () => {
    // Canonical JSON is what JSON.stringify would send: -0 becomes 0, so compare stringified.
    const jsonObject = fc
      .dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
      .map((o) => o as unknown as JsonObject);
    fc.assert(
      fc.property(jsonObject, jsonObject, (properties, traits) => {
        const init = batchInit({
          payload: { items: [{ type: 'track', messageId: 'm', properties, traits }] },
        });
        const decoded = decodeEnvelopeOf(encodeEnvelope(init), 'cdp.ingestion.v1.EventBatch');
        const event = decoded.payload.items[0];
        assert.equal(
          JSON.stringify(event?.properties),
          JSON.stringify(JSON.parse(JSON.stringify(properties))),
        );
        assert.equal(
          JSON.stringify(event?.traits),
          JSON.stringify(JSON.parse(JSON.stringify(traits))),
        );
      }),
      { numRuns: 200 },
    );
  });
});
