import type { EventRow } from '../domain/event-row';

/** Writes a flush; `failed[i]` set = batch i must be retried (the others are durable). */
export type FlushSink = (
  batches: readonly (readonly EventRow[])[],
) => Promise<{ readonly failed: readonly (Error | undefined)[] }>;

export interface EventBufferOptions {
  /** Flush as soon as this many rows are buffered. */
  readonly flushRows: number;
  /** ... or this long after the oldest buffered row arrived. */
  readonly flushIntervalMs: number;
  /**
   * Flush when this many batches wait (= the consumer's concurrency: no further batch can
   * arrive until these are settled, so waiting for the timer would only idle).
   */
  readonly maxPendingBatches: number;
  readonly onFlush?: (stats: {
    rows: number;
    batches: number;
    seconds: number;
    ok: boolean;
  }) => void;
  readonly onSize?: (rows: number) => void;
}

interface Pending {
  readonly rows: readonly EventRow[];
  readonly at: number;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * In-memory buffer of consumed batches. `add` resolves only when its rows are durably written
 * (so the message is acked only then) and rejects when the flush failed (→ nak → redelivery).
 * One flush at a time; memory is bounded by the consumer's concurrency × message size.
 */
export class EventBuffer {
  private pending: Pending[] = [];
  private rows = 0;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(
    private readonly sink: FlushSink,
    private readonly options: EventBufferOptions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get bufferedRows(): number {
    return this.rows;
  }

  add(rows: readonly EventRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ rows, at: this.now(), resolve, reject });
      this.rows += rows.length;
      this.options.onSize?.(this.rows);
      this.schedule();
    });
  }

  /** Flushes everything buffered now; from then on every batch is flushed as it arrives. */
  async close(): Promise<void> {
    this.closing = true;
    this.schedule();
    while (this.flushing || this.pending.length > 0) {
      await (this.flushing ?? this.startFlush());
    }
  }

  private schedule(): void {
    if (this.flushing || this.pending.length === 0) return;
    const full =
      this.rows >= this.options.flushRows || this.pending.length >= this.options.maxPendingBatches;
    const oldest = this.pending[0]?.at ?? this.now();
    const waited = this.now() - oldest;
    if (this.closing || full || waited >= this.options.flushIntervalMs) {
      void this.startFlush();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.flushing) void this.startFlush();
      }, this.options.flushIntervalMs - waited);
    }
  }

  private startFlush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending;
    const rows = this.rows;
    this.pending = [];
    this.rows = 0;
    this.options.onSize?.(0);
    const started = this.now();
    const run = async () => {
      let ok = false;
      try {
        const { failed } = await this.sink(batch.map((p) => p.rows));
        ok = true;
        batch.forEach((p, i) => {
          const error = failed[i];
          if (error) p.reject(error);
          else p.resolve();
        });
      } catch (error) {
        const reason = error instanceof Error ? error : new Error(String(error));
        for (const p of batch) p.reject(reason);
      } finally {
        this.options.onFlush?.({
          rows,
          batches: batch.length,
          seconds: (this.now() - started) / 1000,
          ok,
        });
      }
    };
    this.flushing = run().finally(() => {
      this.flushing = undefined;
      this.options.onSize?.(this.rows);
      this.schedule();
    });
    return this.flushing;
  }
}
