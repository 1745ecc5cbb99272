import { randomUUID } from 'node:crypto';
import { type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { z } from 'zod';
import { SUBJECTS } from '@cdp/contracts';
import { type Namespace } from '@cdp/messaging';
import { createLogger, type Logger } from '@cdp/observability';
import { type BufferedEventDebugger } from '../application/buffered-event-debugger';
import { type DebuggerPeers } from '../application/debugger-peers.port';
import { type DebuggerEntry } from '../application/event-debugger.port';

const requestSchema = z.object({
  workspaceId: z.string().min(1),
  sourceId: z.string().min(1),
  limit: z.number().int().min(1).max(500),
});

/** Keeps a reply under NATS's default max_payload (1 MiB). */
const MAX_REPLY_CHARS = 900 * 1024;

export interface NatsDebuggerPeersOptions {
  /** The gather ends this long after the last reply (default 100 ms)... */
  readonly stallMs?: number;
  /** ...or at this deadline (default 1000 ms). */
  readonly maxWaitMs?: number;
}

/**
 * Scatter-gather over core NATS: every ingestion process subscribes (no queue group) to
 * `SUBJECTS.ingestionDebuggerEntries` and answers from its own buffer; a GET asks them all with
 * `requestMany` and merges. Nothing is sent while events are collected: the cost is paid per GET.
 */
export class NatsDebuggerPeers implements DebuggerPeers {
  readonly instance = randomUUID();
  private readonly subject: string;
  private readonly logger: Logger;
  private subscription: Subscription | undefined;

  constructor(
    private readonly nc: NatsConnection,
    namespace: Namespace,
    private readonly local: BufferedEventDebugger,
    private readonly options: NatsDebuggerPeersOptions = {},
  ) {
    this.subject = namespace.subject(SUBJECTS.ingestionDebuggerEntries);
    this.logger = createLogger('ingestion.debugger');
  }

  start(): void {
    if (this.subscription !== undefined) return;
    this.subscription = this.nc.subscribe(this.subject, {
      callback: (error, msg) => {
        if (error === null) this.answer(msg);
      },
    });
  }

  close(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  async gather(
    workspaceId: string,
    sourceId: string,
    limit: number,
  ): Promise<readonly (readonly DebuggerEntry[])[]> {
    const replies = await this.nc.requestMany(
      this.subject,
      JSON.stringify({ workspaceId, sourceId, limit }),
      {
        strategy: 'stall',
        stall: this.options.stallMs ?? 100,
        maxWait: this.options.maxWaitMs ?? 1000,
      },
    );
    const lists: DebuggerEntry[][] = [];
    for await (const reply of replies) {
      try {
        const body = reply.json<{ entries?: unknown }>();
        if (Array.isArray(body.entries)) lists.push(body.entries as DebuggerEntry[]);
      } catch {
        this.logger.warn('ignoring a malformed debugger reply');
      }
    }
    return lists;
  }

  private answer(msg: Msg): void {
    try {
      const request = requestSchema.parse(msg.json());
      const entries = this.local.latest(request.workspaceId, request.sourceId, request.limit);
      let body = JSON.stringify({ instance: this.instance, entries });
      while (body.length > MAX_REPLY_CHARS && entries.length > 0) {
        entries.splice(Math.ceil(entries.length / 2));
        body = JSON.stringify({ instance: this.instance, entries });
      }
      msg.respond(body);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not answer a debugger request');
    }
  }
}
