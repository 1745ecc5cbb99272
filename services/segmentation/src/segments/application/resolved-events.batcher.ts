import { type RealtimeInputsUseCase, type ResolvedEventInput } from './realtime-inputs.use-case';

export interface BatcherOptions {
  /** Flush when this many events wait. */
  readonly maxEvents: number;
  /** Flush at most this long after the first event started waiting. */
  readonly maxWaitMs: number;
}

interface Pending {
  readonly events: ResolvedEventInput[];
  readonly waiters: { resolve: () => void; reject: (error: unknown) => void }[];
  timer: NodeJS.Timeout | undefined;
}

/**
 * Group commit for resolved events: the messages handled concurrently (one per partition and
 * pull) are applied in one transaction per workspace, so the per-transaction cost (locks, reads,
 * commit) is paid per few hundred events instead of per message. Each message's handler waits
 * for the transaction that carries its events: it is acked only after that commit, and a failure
 * fails every message of the group (each is redelivered; applying events is idempotent).
 */
export class ResolvedEventsBatcher {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly inputs: RealtimeInputsUseCase,
    private readonly options: BatcherOptions,
  ) {}

  submit(ws: string, events: readonly ResolvedEventInput[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    let group = this.pending.get(ws);
    if (!group) {
      group = { events: [], waiters: [], timer: undefined };
      this.pending.set(ws, group);
      const started = group;
      group.timer = setTimeout(() => this.flush(ws, started), this.options.maxWaitMs);
    }
    group.events.push(...events);
    const done = new Promise<void>((resolve, reject) => group.waiters.push({ resolve, reject }));
    if (group.events.length >= this.options.maxEvents) this.flush(ws, group);
    return done;
  }

  private flush(ws: string, group: Pending): void {
    if (this.pending.get(ws) !== group) return; // already flushed
    this.pending.delete(ws);
    if (group.timer) clearTimeout(group.timer);
    this.inputs.resolvedEvents(ws, group.events).then(
      () => group.waiters.forEach((w) => w.resolve()),
      (error: unknown) => group.waiters.forEach((w) => w.reject(error)),
    );
  }
}
