import { SUBJECTS } from '@cdp/contracts';
import { createLogger, type Logger } from '@cdp/observability';
import { type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { z } from 'zod';
import { LocalKeyChangeBus } from '../application/local-key-change-bus';
import { type KeyChangeBus, type KeyChangedEvent } from '../application/ports';

/** `subject` (default `SUBJECTS.tenancyKeyChanged`), prefixed with `<namespace>.` when the namespace is not empty. */
export function keyChangedSubject(
  namespace = '',
  subject: string = SUBJECTS.tenancyKeyChanged,
): string {
  return namespace.length > 0 ? `${namespace}.${subject}` : subject;
}

const keyChangedPayload = z.object({
  workspaceId: z.string().min(1),
  keyId: z.string().min(1),
  change: z.enum(['revoked', 'rotated', 'owner_changed']),
});

const FLUSH_TIMEOUT_MS = 1000;

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface NatsKeyChangeBusOptions {
  readonly namespace?: string;
  /** Subject without namespace (default `SUBJECTS.tenancyKeyChanged`); other credentials use their own. */
  readonly subject?: string;
  readonly logger?: Logger;
}

/**
 * Key changes over core NATS (fire-and-forget fan-out to every process; no stream: a change
 * only matters to processes running now, and a process that starts later has an empty cache).
 *
 * Publishing also delivers to this process's listeners synchronously, so the process that
 * revoked a key rejects it before the reply leaves. If a message is lost (publish while
 * disconnected), a process that reconnects clears its cache and the cache TTL bounds the rest.
 */
export class NatsKeyChangeBus implements KeyChangeBus {
  readonly subject: string;
  private readonly local = new LocalKeyChangeBus();
  private readonly logger: Logger;
  private subscription: Subscription | undefined;
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    options: NatsKeyChangeBusOptions = {},
  ) {
    this.subject = keyChangedSubject(options.namespace, options.subject);
    this.logger = options.logger ?? createLogger('tenancy.key-change-bus');
  }

  /** Subscribes to the subject and watches reconnects. Idempotent. */
  start(): void {
    if (this.subscription !== undefined || this.closed) return;
    this.subscription = this.nc.subscribe(this.subject, {
      callback: (error, msg) => this.onMessage(error, msg),
    });
    void this.watchStatus();
  }

  async publish(event: KeyChangedEvent): Promise<void> {
    this.local.deliver(event);
    try {
      this.nc.publish(this.subject, JSON.stringify(event));
      // Wait for the server to have it (so "revoked" means "sent"), but never hang a request on
      // a reconnecting connection: the client resends buffered messages after reconnecting.
      await withTimeout(this.nc.flush(), FLUSH_TIMEOUT_MS);
    } catch (error) {
      // The change is in the database; other processes drop the key when their TTL expires.
      this.logger.error(
        { err: error, keyId: event.keyId },
        'could not broadcast key change; other processes rely on the cache TTL',
      );
    }
  }

  onKeyChanged(listener: (event: KeyChangedEvent) => void): () => void {
    return this.local.onKeyChanged(listener);
  }

  onResync(listener: () => void): () => void {
    return this.local.onResync(listener);
  }

  close(): void {
    this.closed = true;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  private onMessage(error: Error | null, msg: Msg): void {
    if (error !== null) {
      this.logger.warn({ err: error }, 'key-change subscription error; clearing caches');
      this.local.resync();
      return;
    }
    let parsed: ReturnType<typeof keyChangedPayload.safeParse>;
    try {
      parsed = keyChangedPayload.safeParse(msg.json());
    } catch {
      this.logger.warn({ subject: msg.subject }, 'ignoring a key-change message that is not JSON');
      return;
    }
    if (!parsed.success) {
      this.logger.warn(
        { subject: msg.subject, issues: parsed.error.issues },
        'ignoring an invalid key-change message',
      );
      return;
    }
    this.local.deliver(parsed.data);
  }

  private async watchStatus(): Promise<void> {
    try {
      for await (const status of this.nc.status()) {
        if (this.closed) return;
        // Messages published while we were away are lost: forget everything cached.
        if (status.type === 'reconnect') this.local.resync();
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'stopped watching NATS status');
    }
  }
}
