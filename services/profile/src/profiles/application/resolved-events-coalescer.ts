import {
  type ApplyResolvedEventsCommand,
  type ApplyResolvedEventsResult,
} from './apply-resolved-events.use-case';

interface Pending {
  readonly events: ApplyResolvedEventsCommand['events'];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export interface CoalescerOptions {
  /** Most events folded into one transaction. */
  readonly maxEvents: number;
  /** Transactions in flight at once (I/O overlap; more only adds lock contention). */
  readonly maxTransactions: number;
}

/**
 * Groups resolved batches that wait for a transaction slot into one transaction per workspace.
 * A transaction's cost is mostly fixed (round trips, locks, the commit's fsync), so under load
 * several messages share one; when idle, a message is applied at once (no added latency).
 * Safe because idempotency is per event (facts are claimed by message id) and the fold is
 * order-independent: if the shared transaction fails, every message in it fails and is
 * redelivered, and what was applied before stays applied once.
 */
export class ResolvedEventsCoalescer {
  private readonly queues = new Map<string, Pending[]>();
  private running = 0;

  constructor(
    private readonly apply: (
      command: ApplyResolvedEventsCommand,
    ) => Promise<ApplyResolvedEventsResult>,
    private readonly options: CoalescerOptions,
    private readonly onApplied: (result: ApplyResolvedEventsResult) => void = () => undefined,
  ) {}

  /** Resolves once the events are committed (with others, possibly). */
  submit(command: ApplyResolvedEventsCommand): Promise<void> {
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(command.workspaceId);
      if (!queue) this.queues.set(command.workspaceId, (queue = []));
      queue.push({ events: command.events, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.options.maxTransactions) {
      const next = this.queues.entries().next();
      if (next.done) return;
      const [workspaceId, queue] = next.value;
      const taken: Pending[] = [];
      let size = 0;
      while (queue.length > 0) {
        const head = queue[0];
        if (!head || (taken.length > 0 && size + head.events.length > this.options.maxEvents))
          break;
        taken.push(head);
        size += head.events.length;
        queue.shift();
      }
      // Round-robin between workspaces: a busy one goes to the back.
      this.queues.delete(workspaceId);
      if (queue.length > 0) this.queues.set(workspaceId, queue);
      this.running++;
      this.apply({ workspaceId, events: taken.flatMap((p) => p.events) })
        .then(
          (result) => {
            this.onApplied(result);
            for (const p of taken) p.resolve();
          },
          (error: unknown) => {
            for (const p of taken) p.reject(error);
          },
        )
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }
}
