import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { StreamSpec } from '@cdp/contracts';
import type { Namespace } from './namespace';
import { isValidSubject } from './subject-match';

const NS_PER_MS = 1_000_000;

/** Operational settings of a stream; the names and subjects come from `@cdp/contracts`. */
export interface StreamSettings {
  /** R1 locally, R3 in production. */
  readonly replicas: number;
  /** 0 = keep forever. */
  readonly maxAgeMs: number;
  /** JetStream dedup window for `Nats-Msg-Id`. */
  readonly duplicateWindowMs: number;
  /** -1 = unlimited. */
  readonly maxBytes: number;
}

export const DEFAULT_STREAM_SETTINGS: StreamSettings = {
  replicas: 1,
  maxAgeMs: 0,
  duplicateWindowMs: 120_000,
  maxBytes: -1,
};

/** Settings for every stream, and per stream name (un-namespaced) on top. */
export type StreamOverrides = Partial<StreamSettings> & {
  readonly byStream?: Readonly<Record<string, Partial<StreamSettings>>>;
};

export function resolveStreamSettings(
  name: string,
  overrides: StreamOverrides = {},
): StreamSettings {
  const { byStream, ...global } = overrides;
  return { ...DEFAULT_STREAM_SETTINGS, ...global, ...(byStream?.[name] ?? {}) };
}

function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; status?: unknown; name?: unknown };
  return (
    e.code === 10059 ||
    e.code === 10014 ||
    e.status === 404 ||
    e.name === 'StreamNotFoundError' ||
    e.name === 'ConsumerNotFoundError'
  );
}

/**
 * Creates or updates the streams, idempotently (safe to call from every pod at start, even at
 * the same time). File storage, limits retention. Storage cannot change on an existing stream.
 * Returns the namespaced stream names.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  namespace: Namespace,
  specs: readonly StreamSpec[],
  overrides?: StreamOverrides,
): Promise<string[]> {
  const names: string[] = [];
  for (const spec of specs) {
    const settings = resolveStreamSettings(spec.name, overrides);
    const name = namespace.stream(spec.name);
    const subjects = spec.subjects.map((s) => namespace.subject(s));
    for (const s of subjects)
      if (!isValidSubject(s)) throw new Error(`invalid subject "${s}" in stream ${spec.name}`);
    const wanted: Partial<StreamConfig> = {
      subjects,
      description: spec.description,
      num_replicas: settings.replicas,
      max_age: settings.maxAgeMs * NS_PER_MS,
      duplicate_window: settings.duplicateWindowMs * NS_PER_MS,
      max_bytes: settings.maxBytes,
    };
    await upsertStream(jsm, name, wanted);
    names.push(name);
  }
  return names;
}

async function upsertStream(
  jsm: JetStreamManager,
  name: string,
  wanted: Partial<StreamConfig>,
): Promise<void> {
  let current: StreamConfig | undefined;
  try {
    current = (await jsm.streams.info(name)).config;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (!current) {
    try {
      await jsm.streams.add({
        ...wanted,
        name,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
      });
      return;
    } catch (error) {
      // Another pod created it meanwhile: fall through to the update path.
      current = (await jsm.streams.info(name).catch(() => Promise.reject(error as Error))).config;
    }
  }
  if (current.storage !== StorageType.File) {
    throw new Error(
      `stream ${name} uses ${current.storage} storage; file storage is required (recreate it)`,
    );
  }
  if (!sameStreamConfig(current, wanted)) {
    await jsm.streams.update(name, { ...current, ...wanted });
  }
}

function sameStreamConfig(current: StreamConfig, wanted: Partial<StreamConfig>): boolean {
  const sameSubjects =
    JSON.stringify([...(current.subjects ?? [])].sort()) ===
    JSON.stringify([...(wanted.subjects ?? [])].sort());
  return (
    sameSubjects &&
    current.num_replicas === wanted.num_replicas &&
    current.max_age === wanted.max_age &&
    current.duplicate_window === wanted.duplicate_window &&
    current.max_bytes === wanted.max_bytes &&
    (current.description ?? '') === (wanted.description ?? '')
  );
}

export interface ConsumerSpec {
  /** Durable name (one consumer group: every pod of a service binds to it). */
  readonly durable: string;
  /** Namespaced filter subject (the handler pattern). */
  readonly filterSubject: string;
  readonly maxDeliver: number;
  readonly ackWaitMs: number;
  /** Max unacknowledged messages across all pods (default 1000). */
  readonly maxAckPending?: number;
}

/** Creates or updates a durable pull consumer with explicit acks, idempotently. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  spec: ConsumerSpec,
): Promise<void> {
  if (!/^[A-Za-z0-9_-]+$/.test(spec.durable))
    throw new Error(`invalid durable name "${spec.durable}"`);
  const wanted = {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: spec.filterSubject,
    max_deliver: spec.maxDeliver,
    ack_wait: spec.ackWaitMs * NS_PER_MS,
    max_ack_pending: spec.maxAckPending ?? 1000,
  };
  let exists = false;
  try {
    const info = await jsm.consumers.info(stream, spec.durable);
    exists = true;
    const c = info.config;
    if (c.filter_subject !== wanted.filter_subject) {
      throw new Error(
        `consumer ${stream}/${spec.durable} filters "${c.filter_subject ?? ''}", not "${wanted.filter_subject}": a durable cannot change its filter, pick a new durable name`,
      );
    }
    if (
      c.max_deliver === wanted.max_deliver &&
      c.ack_wait === wanted.ack_wait &&
      c.max_ack_pending === wanted.max_ack_pending
    )
      return;
  } catch (error) {
    if (exists || !isNotFound(error)) throw error;
  }
  if (exists) {
    await jsm.consumers.update(stream, spec.durable, {
      max_deliver: wanted.max_deliver,
      ack_wait: wanted.ack_wait,
      max_ack_pending: wanted.max_ack_pending,
    });
    return;
  }
  try {
    await jsm.consumers.add(stream, wanted);
  } catch (error) {
    // Created concurrently by another pod with the same config: fine; otherwise report.
    const info = await jsm.consumers.info(stream, spec.durable).catch(() => undefined);
    if (!info || info.config.filter_subject !== wanted.filter_subject) throw error;
  }
}
