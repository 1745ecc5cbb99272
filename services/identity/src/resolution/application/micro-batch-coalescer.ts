/**
 * Gathers the work of concurrent callers into fewer, larger runs: `submit` queues a caller's
 * items per key (a workspace); a run takes everything queued (up to `maxItems`, at least one
 * caller) while fewer than `maxParallel` runs of that key are in flight, and hands each caller
 * its own slice of the results, in order. Under load runs grow by themselves (everything that
 * arrived during the previous run goes into the next); alone, a caller runs at once.
 *
 * Callers get their results in submission order per key, even when runs overlap
 * (`maxParallel` > 1): a run that finishes first waits for the runs submitted before it. Runs
 * also get a `RunTurn`: a run may prepare at once but should `await turn.ready()` before the
 * step that must follow the previous run's (taking its locks), and call `turn.pass()` right
 * after it, so the runs of a key enter that step in submission order.
 *
 * A failed run of several callers is retried caller by caller, so one poison input fails only
 * its own caller.
 */
export class MicroBatchCoalescer<I, R> {
  private readonly queues = new Map<string, Pending<I, R>[]>();
  private readonly running = new Map<string, number>();
  /** Per key: settles when the callers of the latest run started got their results. */
  private readonly delivered = new Map<string, Promise<void>>();
  /** Per key: settles when the latest run started passed its turn. */
  private readonly turns = new Map<string, Promise<void>>();

  constructor(
    private readonly run: (
      key: string,
      items: readonly I[],
      turn: RunTurn,
    ) => Promise<readonly R[]>,
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
      const previous = this.delivered.get(key) ?? Promise.resolve();
      const turn = this.nextTurn(key);
      const delivery = this.flush(key, taken, previous, turn);
      this.delivered.set(key, delivery);
      void delivery.finally(() => {
        if (this.delivered.get(key) === delivery) this.delivered.delete(key);
        const left = (this.running.get(key) ?? 1) - 1;
        if (left === 0) this.running.delete(key);
        else this.running.set(key, left);
        this.pump(key);
      });
    }
  }

  private nextTurn(key: string): RunTurn {
    const before = this.turns.get(key) ?? Promise.resolve();
    let pass!: () => void;
    const passed = new Promise<void>((resolve) => (pass = resolve));
    this.turns.set(key, passed);
    void passed.then(() => {
      if (this.turns.get(key) === passed) this.turns.delete(key);
    });
    return { ready: () => before, pass };
  }

  private async flush(
    key: string,
    taken: readonly Pending<I, R>[],
    previous: Promise<void>,
    turn: RunTurn,
  ): Promise<void> {
    try {
      const results = await this.run(
        key,
        taken.flatMap((p) => p.items),
        turn,
      );
      await previous;
      let offset = 0;
      for (const pending of taken) {
        pending.resolve(results.slice(offset, offset + pending.items.length));
        offset += pending.items.length;
      }
    } catch (error) {
      turn.pass();
      await previous;
      if (taken.length === 1) {
        taken[0]!.reject(error);
        return;
      }
      for (const pending of taken) {
        try {
          pending.resolve(await this.run(key, pending.items, FREE_TURN));
        } catch (alone) {
          pending.reject(alone);
        }
      }
    }
  }
}

/** Orders one step of overlapping runs of a key (see the class comment). */
export interface RunTurn {
  /** Settles when the previous run of the key passed its turn. */
  ready(): Promise<void>;
  /** Lets the next run of the key go (idempotent). */
  pass(): void;
}

/** Retries run caller by caller after their run's turn was passed: nothing to wait for. */
const FREE_TURN: RunTurn = { ready: () => Promise.resolve(), pass: () => undefined };

interface Pending<I, R> {
  readonly items: readonly I[];
  readonly resolve: (results: readonly R[]) => void;
  readonly reject: (error: unknown) => void;
}
