import { createHash } from 'node:crypto';
import { DomainError } from '@cdp/contracts';
import { BATCH_ENVELOPE_BYTES, planAdd, type BatchLimits } from './batch-policy';
import type { EventPublisher, PublishResult } from './event-publisher';

export interface BatchingOptions extends Partial<BatchLimits> {
  /** Longest an item waits for companions before its batch is published (default 5 ms). */
  readonly lingerMs?: number;
  /** Bytes accepted but not yet stored; beyond it `add` fails fast with `unavailable` (default 16 MiB). */
  readonly maxPendingBytes?: number;
  /** `retryAfterSeconds` of the overload error (default 1). */
  readonly retryAfterSeconds?: number;
  /** PubAck timeout per batch (default 5000 ms). */
  readonly timeoutMs?: number;
}

export interface BatchItemOptions {
  /** Id of the item: batch ids derive from the ids of their items. */
  readonly messageId: string;
  readonly workspaceId: string;
  /** Schema of the batch message, e.g. `cdp.ingestion.v1.AcceptedBatch`. */
  readonly schema: string;
}

/**
 * The caller's promise: settled when every item it added is stored (resolve with the last
 * batch's result) or as soon as one of its batches fails. One per `add`/`addMany` call, so a
 * 100-event request allocates one promise, not a hundred.
 */
interface Group {
  remaining: number;
  settled: boolean;
  readonly resolve: (r: PublishResult) => void;
  readonly reject: (e: unknown) => void;
}

interface Pending {
  readonly id: string;
  readonly json: string;
  readonly bytes: number;
  readonly group: Group;
}

/** One item of `addMany`. */
export interface BatchItem {
  readonly item: unknown;
  /** Id of the item: batch ids derive from the ids of their items. */
  readonly messageId: string;
  /** `item` already serialised by the caller (must be its JSON); else `JSON.stringify(item)`. */
  readonly json?: string | undefined;
  /** UTF-8 bytes of `json`, when the caller knows them. */
  readonly bytes?: number | undefined;
}

/** One item of `addRouted`: an item with its own subject. */
export interface RoutedBatchItem extends BatchItem {
  readonly subject: string;
}

const encoder = new TextEncoder();

interface OpenBatch {
  readonly subject: string;
  readonly workspaceId: string;
  readonly schema: string;
  readonly items: Pending[];
  bytes: number;
  timer: NodeJS.Timeout | undefined;
}

/** Deterministic message id of a batch: the same items in the same order dedup on retry. */
export function batchMessageId(subject: string, itemIds: readonly string[]): string {
  // One string and one update (the same bytes as updating per id, so the same ids as before).
  let input = `${subject.length}:${subject}`;
  for (const id of itemIds) input += `${id.length}:${id}`;
  const hash = createHash('sha256').update(input).digest('hex');
  return `batch-${hash.slice(0, 32)}`;
}

/**
 * Micro-batching publisher: items added for the same (subject, workspace, schema) are published
 * as ONE JetStream message whose JSON body is `{"items":[item, item, ...]}`, when the batch
 * reaches `maxItems` (default 100) or `maxBytes` (default 256 KiB), or `lingerMs` after its first
 * item. `add` resolves once the batch holding the item is stored (PubAck) and rejects if that
 * publish fails, so a caller only acknowledges what JetStream stored.
 */
export class BatchingPublisher {
  private readonly limits: BatchLimits;
  private readonly lingerMs: number;
  private readonly maxPendingBytes: number;
  private readonly retryAfterSeconds: number;
  private readonly timeoutMs: number;
  private readonly open = new Map<string, OpenBatch>();
  private readonly inFlight = new Set<Promise<void>>();
  private pending = 0;
  private closed = false;

  constructor(
    private readonly publisher: EventPublisher,
    options: BatchingOptions = {},
  ) {
    this.limits = { maxItems: options.maxItems ?? 100, maxBytes: options.maxBytes ?? 256 * 1024 };
    this.lingerMs = options.lingerMs ?? 5;
    this.maxPendingBytes = options.maxPendingBytes ?? 16 * 1024 * 1024;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Bytes accepted and not yet stored or failed. */
  get pendingBytes(): number {
    return this.pending;
  }

  add(subject: string, item: unknown, options: BatchItemOptions): Promise<PublishResult> {
    return this.addMany(subject, [{ item, messageId: options.messageId }], options);
  }

  /**
   * Adds several items for one subject; the promise resolves once ALL of them are stored and
   * rejects if any of their batches fails (nothing is partially acknowledged to the caller).
   */
  addMany(
    subject: string,
    items: readonly BatchItem[],
    options: Omit<BatchItemOptions, 'messageId'>,
  ): Promise<PublishResult> {
    return this.enqueue(items, subject, options);
  }

  /**
   * Like `addMany` for items of several subjects (e.g. one request's events over their
   * partitions): ONE promise for all of them, resolved once every item is stored, rejected as
   * soon as one of their batches fails.
   */
  addRouted(
    items: readonly RoutedBatchItem[],
    options: Omit<BatchItemOptions, 'messageId'>,
  ): Promise<PublishResult> {
    return this.enqueue(items, undefined, options);
  }

  /** `subject` for every item, or undefined when each item is a RoutedBatchItem. */
  private enqueue(
    items: readonly BatchItem[],
    subject: string | undefined,
    options: Omit<BatchItemOptions, 'messageId'>,
  ): Promise<PublishResult> {
    if (this.closed) {
      return Promise.reject(
        new DomainError(
          'unavailable',
          'messaging.publisher_closed',
          'publisher is shutting down',
          undefined,
          this.retryAfterSeconds,
        ),
      );
    }
    const count = items.length;
    const jsons = new Array<string>(count);
    const sizes = new Array<number>(count);
    let total = 0;
    for (let i = 0; i < count; i++) {
      const given = items[i] as BatchItem;
      const json = given.json ?? JSON.stringify(given.item) ?? 'null';
      const bytes =
        given.json !== undefined && given.bytes !== undefined
          ? given.bytes
          : Buffer.byteLength(json);
      jsons[i] = json;
      sizes[i] = bytes;
      total += bytes;
    }
    if (this.pending + total > this.maxPendingBytes) {
      return Promise.reject(
        new DomainError(
          'unavailable',
          'messaging.backpressure',
          `publisher backlog full (${this.pending} bytes pending)`,
          { pendingBytes: this.pending },
          this.retryAfterSeconds,
        ),
      );
    }
    return new Promise<PublishResult>((resolve, reject) => {
      const group: Group = { remaining: count, settled: false, resolve, reject };
      const suffix = `\u0000${options.workspaceId}\u0000${options.schema}`;
      // Batch keys built once per subject of the call, not once per item.
      const keys = subject === undefined ? new Map<string, string>() : undefined;
      let key = subject === undefined ? '' : subject + suffix;
      let batchSubject = subject ?? '';
      let batch = subject === undefined ? undefined : this.open.get(key);
      for (let i = 0; i < count; i++) {
        if (keys !== undefined) {
          const itemSubject = (items[i] as RoutedBatchItem).subject;
          if (i === 0 || itemSubject !== batchSubject) {
            batchSubject = itemSubject;
            let k = keys.get(itemSubject);
            if (k === undefined) keys.set(itemSubject, (k = itemSubject + suffix));
            key = k;
            batch = this.open.get(key);
          }
        }
        const bytes = sizes[i] as number;
        const plan = planAdd(
          { items: batch?.items.length ?? 0, bytes: batch?.bytes ?? 0 },
          bytes,
          this.limits,
        );
        if (batch && plan.flushBefore) {
          this.flushBatch(key, batch);
          batch = undefined;
        }
        if (!batch) {
          batch = {
            subject: batchSubject,
            workspaceId: options.workspaceId,
            schema: options.schema,
            items: [],
            bytes: 0,
            timer: undefined,
          };
          this.open.set(key, batch);
          const opened = batch;
          const openedKey = key; // `key` changes with the subject of later items
          opened.timer = setTimeout(() => this.flushBatch(openedKey, opened), this.lingerMs);
        }
        batch.items.push({
          id: (items[i] as BatchItem).messageId,
          json: jsons[i] as string,
          bytes,
          group,
        });
        batch.bytes += bytes;
        this.pending += bytes;
        if (plan.flushAfter) {
          this.flushBatch(key, batch);
          batch = undefined;
        }
      }
    });
  }

  /** Publishes every open batch now and waits until all publishes settled. */
  async flush(): Promise<void> {
    for (const [key, batch] of [...this.open]) this.flushBatch(key, batch);
    await Promise.all([...this.inFlight]);
  }

  /** Flushes and refuses further items. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private flushBatch(key: string, batch: OpenBatch): void {
    if (this.open.get(key) !== batch) return;
    this.open.delete(key);
    if (batch.timer) clearTimeout(batch.timer);
    // One pass over the items for the body and the id (same bytes/hash as join + batchMessageId).
    const { items } = batch;
    let body = '{"items":[';
    let idInput = `${batch.subject.length}:${batch.subject}`;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Pending;
      if (i > 0) body += ',';
      body += item.json;
      idInput += `${item.id.length}:${item.id}`;
    }
    body += ']}';
    const messageId = `batch-${createHash('sha256').update(idInput).digest('hex').slice(0, 32)}`;
    const done = this.publisher
      .publishRaw(batch.subject, encoder.encode(body), {
        messageId,
        workspaceId: batch.workspaceId,
        schema: batch.schema,
        timeoutMs: this.timeoutMs,
      })
      .then(
        (result) => {
          for (const { group } of batch.items) {
            if (--group.remaining === 0 && !group.settled) {
              group.settled = true;
              group.resolve(result);
            }
          }
        },
        (error: unknown) => {
          for (const { group } of batch.items) {
            if (!group.settled) {
              group.settled = true;
              group.reject(error);
            }
          }
        },
      )
      .finally(() => {
        this.pending -= batch.bytes;
        this.inFlight.delete(done);
      });
    this.inFlight.add(done);
  }
}

/** Size of the body a batch of these item sizes produces (for callers sizing `maxBytes`). */
export function batchBodyBytes(itemBytes: readonly number[]): number {
  return (
    BATCH_ENVELOPE_BYTES + itemBytes.reduce((a, b) => a + b, 0) + Math.max(0, itemBytes.length - 1)
  );
}
