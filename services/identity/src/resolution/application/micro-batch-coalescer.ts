/**
 * Gathers the work of concurrent callers into fewer, larger runs: `submit` queues a caller's
 * items per key (a workspace); a run takes everything queued (up to `maxItems`, at least one
 * caller) while fewer than `maxParallel` runs of that key are in flight, and hands each caller
 * its own slice of the results, in order. Under load runs grow by themselves (everything that
 * arrived during the previous run goes into the next); alone, a caller runs at once.
 *
 * A failed run of several callers is retried caller by caller, so one poison input fails only
 * its own caller.
 */
export class MicroBatchCoalescer<I, R> {
  private readonly queues = new Map<string, Pending<I, R>[]>();
  private readonly running = new Map<string, number>();

  constructor(
    private readonly run: (key: string, items: readonly I[]) => Promise<readonly R[]>,
    private readonly options: { readonly maxItems: number; readonly maxParallel: number },
  ) {}

  submit(key: string, items: readonly I[]): Promise<readonly R[]> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(key) ?? [];
      queue.push({ items, resolve, reject });
      this.queues.set(key, queue);
      this.pump(key);
    });
  }

  private pump(key: string): void {
    const queue = this.queues.get(key);
    while (queue && queue.length > 0 && (this.running.get(key) ?? 0) < this.options.maxParallel) {
      const taken: Pending<I, R>[] = [];
      let size = 0;
      while (queue.length > 0) {
        const next = queue[0]!;
        if (taken.length > 0 && size + next.items.length > this.options.maxItems) break;
        taken.push(queue.shift()!);
        size += next.items.length;
      }
      if (queue.length === 0) this.queues.delete(key);
      this.running.set(key, (this.running.get(key) ?? 0) + 1);
      void this.flush(key, taken).finally(() => {
        const left = (this.running.get(key) ?? 1) - 1;
        if (left === 0) this.running.delete(key);
        else this.running.set(key, left);
        this.pump(key);
      });
    }
  }

  private async flush(key: string, taken: readonly Pending<I, R>[]): Promise<void> {
    try {
      const results = await this.run(
        key,
        taken.flatMap((p) => p.items),
      );
      let offset = 0;
      for (const pending of taken) {
        pending.resolve(results.slice(offset, offset + pending.items.length));
        offset += pending.items.length;
      }
    } catch (error) {
      if (taken.length === 1) {
        taken[0]!.reject(error);
        return;
      }
      for (const pending of taken) {
        try {
          pending.resolve(await this.run(key, pending.items));
        } catch (alone) {
          pending.reject(alone);
        }
      }
    }
  }
}

interface Pending<I, R> {
  readonly items: readonly I[];
  readonly resolve: (results: readonly R[]) => void;
  readonly reject: (error: unknown) => void;
}
