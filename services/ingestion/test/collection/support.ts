import { gzipSync } from 'node:zlib';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Namespace } from '@cdp/messaging';
import type { AcceptedEvent } from '../../src/events/domain/accepted-event';
import type { IngestionHarness } from '../support/harness';

export interface TestSource {
  readonly sourceId: string;
  readonly writeKeyId: string;
  readonly writeKey: string;
}

/** A source of the harness' workspace (or `adminKey`'s) with a write key, via the sources API. */
export async function newSource(
  harness: IngestionHarness,
  name: string,
  adminKey?: string,
): Promise<TestSource> {
  const created = await harness.api('/v1/sources', {
    method: 'POST',
    body: JSON.stringify({
      name: `${name}-${Math.random().toString(36).slice(2)}`,
      kind: 'server',
    }),
    ...(adminKey === undefined ? {} : { key: adminKey }),
  });
  if (created.status !== 201)
    throw new Error(`create source: ${created.status} ${await created.text()}`);
  const source = (await created.json()) as { id: string };
  const issued = await harness.api(`/v1/sources/${source.id}/write-keys`, {
    method: 'POST',
    ...(adminKey === undefined ? {} : { key: adminKey }),
  });
  if (issued.status !== 201) throw new Error(`issue key: ${issued.status} ${await issued.text()}`);
  const key = (await issued.json()) as { id: string; key: string };
  return { sourceId: source.id, writeKeyId: key.id, writeKey: key.key };
}

/** Revokes a write key through the sources API. */
export async function revokeKey(harness: IngestionHarness, source: TestSource): Promise<void> {
  const res = await harness.api(`/v1/sources/${source.sourceId}/write-keys/${source.writeKeyId}`, {
    method: 'DELETE',
  });
  if (res.status !== 200) throw new Error(`revoke: ${res.status} ${await res.text()}`);
}

export function basic(writeKey: string): string {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
}

/** POST a collection call with Basic auth (or none), JSON or gzip. */
export function collect(
  harness: IngestionHarness,
  path: string,
  body: unknown,
  options: {
    writeKey?: string;
    gzip?: boolean;
    contentType?: string;
    raw?: Buffer | string;
    headers?: Record<string, string>;
  } = {},
): Promise<Response> {
  let payload: Buffer | string = options.raw ?? JSON.stringify(body);
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/json',
    ...options.headers,
  };
  if (options.writeKey !== undefined) headers.authorization = basic(options.writeKey);
  if (options.gzip) {
    payload = gzipSync(payload);
    headers['content-encoding'] = 'gzip';
  }
  return fetch(`${harness.url}${path}`, { method: 'POST', headers, body: payload });
}

export interface StoredBatch {
  readonly subject: string;
  readonly headers: Record<string, string>;
  readonly items: AcceptedEvent[];
}

/** Reads the EVENTS stream of the harness namespace from sequence `from` (1-based) to its end. */
export async function readEvents(
  nc: NatsConnection,
  namespace: string,
  from = 1,
): Promise<{ batches: StoredBatch[]; next: number }> {
  const jsm = await jetstreamManager(nc);
  const stream = Namespace.of(namespace).stream('EVENTS');
  const info = await jsm.streams.info(stream);
  const batches: StoredBatch[] = [];
  for (let seq = Math.max(from, info.state.first_seq); seq <= info.state.last_seq; seq++) {
    const msg = await jsm.streams.getMessage(stream, { seq });
    if (msg === null) continue;
    const headers: Record<string, string> = {};
    for (const [k, v] of msg.header ?? []) headers[k] = v.join(',');
    const body = msg.json<{ items: AcceptedEvent[] }>();
    batches.push({ subject: msg.subject, headers, items: body.items });
  }
  return { batches, next: info.state.last_seq + 1 };
}

/** The stored events with these messageIds (waits a little: the publisher lingers a few ms). */
export async function storedEvents(
  nc: NatsConnection,
  namespace: string,
  messageIds: readonly string[],
): Promise<Map<string, { event: AcceptedEvent; subject: string }>> {
  const found = new Map<string, { event: AcceptedEvent; subject: string }>();
  for (let attempt = 0; attempt < 20; attempt++) {
    const { batches } = await readEvents(nc, namespace);
    for (const b of batches)
      for (const e of b.items)
        if (messageIds.includes(e.messageId))
          found.set(e.messageId, { event: e, subject: b.subject });
    if (found.size === messageIds.length) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return found;
}
