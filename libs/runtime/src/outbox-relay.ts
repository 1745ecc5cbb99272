import type { DataSource } from 'typeorm';
import type { EventPublisher } from '@cdp/messaging';
import { createLogger, type Logger } from '@cdp/observability';

/** The columns every service's outbox table has. */
export interface OutboxRow {
  readonly id: string;
  readonly workspace_id: string;
}

/** An outbox row that is one message to publish. */
export interface PublishableOutboxRow extends OutboxRow {
  readonly subject: string;
  readonly message_id: string;
  readonly payload: unknown;
}

export interface OutboxRelayOptions<Row extends OutboxRow> {
  /** Schema-qualified table, e.g. `profile.outbox`; needs `id bigserial` and `workspace_id`. */
  readonly table: string;
  /** Columns read besides `id` and `workspace_id`. */
  readonly columns: readonly string[];
  /**
   * Sends the rows on (in id order). Runs inside the transaction that deleted them: throwing
   * rolls the delete back and the rows are retried on the next drain.
   */
  readonly deliver: (rows: readonly Row[]) => Promise<void>;
  /** Logger component name. */
  readonly name: string;
  /** Rows per drain transaction (default 500). */
  readonly batchSize?: number;
  /** Drain at least this often (default 250 ms): rows of another pod's crash are not forgotten. */
  readonly pollMs?: number;
  /**
   * A `kick` waits this long before draining (default 0), so the rows committed meanwhile leave
   * in one transaction instead of one per commit.
   */
  readonly coalesceMs?: number;
}

/**
 * The transactional outbox's relay, one implementation for every service: what a transaction
 * wrote to `<schema>.outbox` leaves Postgres only through here, after that transaction
 * committed, so a crash between the commit and the publish loses nothing. Rows are deleted
 * under `FOR UPDATE SKIP LOCKED` (pods drain in parallel) and delivered before the delete
 * commits; a crash after a publish and before the commit publishes again with the same
 * Nats-Msg-Id, which JetStream deduplicates (and consumers are idempotent anyway).
 */
export class OutboxRelay<Row extends OutboxRow> {
  private readonly log: Logger;
  private readonly batchSize: number;
  private readonly select: string;
  private timer: NodeJS.Timeout | undefined;
  private scheduled: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly postgres: DataSource,
    private readonly options: OutboxRelayOptions<Row>,
  ) {
    this.log = createLogger(options.name);
    this.batchSize = options.batchSize ?? 500;
    const columns = ['id', 'workspace_id', ...options.columns].join(', ');
    this.select = `DELETE FROM ${options.table} WHERE id IN (
        SELECT id FROM ${options.table} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING ${columns}`;
  }

  /** Starts the periodic drain and drains once. */
  start(): void {
    this.timer = setInterval(() => this.drainSoon(), this.options.pollMs ?? 250);
    this.timer.unref();
    this.drainSoon();
  }

  /** Stops draining and waits for the running drain. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.scheduled) clearTimeout(this.scheduled);
    await this.running;
  }

  /** Something was committed: drain soon (coalesced with other kicks). Never throws. */
  kick(): void {
    const delay = this.options.coalesceMs ?? 0;
    if (delay === 0) return this.drainSoon();
    if (this.stopped || this.scheduled) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = undefined;
      this.drainSoon();
    }, delay);
  }

  /** Drains until the outbox is empty; returns the rows relayed. */
  async drainAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const relayed = await this.drainOnce();
      total += relayed;
      if (relayed < this.batchSize || this.stopped) return total;
    }
  }

  private drainSoon(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drainAll()
      .then(() => undefined)
      .catch((error: unknown) => this.log.warn({ err: error }, 'outbox drain failed; retrying'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.drainSoon();
        }
      });
  }

  private drainOnce(): Promise<number> {
    return this.postgres.transaction(async (manager) => {
      // TypeORM answers a DELETE … RETURNING with [rows, count].
      const [rows] = await manager.query<[Row[], number]>(this.select, [this.batchSize]);
      if (rows.length === 0) return 0;
      rows.sort((a, b) => Number(a.id) - Number(b.id));
      await this.options.deliver(rows);
      return rows.length;
    });
  }
}

/**
 * Publishes outbox rows that are messages. Issued together and awaited together: the client
 * writes them in call order, so one aggregate's messages reach the stream in row order.
 */
export async function publishOutboxRows<Row extends PublishableOutboxRow>(
  publisher: EventPublisher,
  rows: readonly Row[],
  schemaOf: (row: Row) => string,
): Promise<void> {
  await Promise.all(
    rows.map((row) =>
      publisher.publish(row.subject, row.payload, {
        messageId: row.message_id,
        workspaceId: row.workspace_id,
        schema: schemaOf(row),
      }),
    ),
  );
}
