import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { NatsUnavailableError } from './errors';

export interface ConnectNatsOptions {
  /** e.g. `nats://127.0.0.1:4222` (comma-separated list for a cluster). */
  readonly url: string;
  /** Connection name shown by the server (`nats server report connections`): the service name. */
  readonly name: string;
  /** Initial connection timeout (default 2000 ms). */
  readonly timeoutMs?: number;
}

/**
 * Connects to NATS. Fails fast with a `NatsUnavailableError` naming the address when no server
 * answers; once connected, the client reconnects forever (the transport resumes on its own).
 */
export async function connectNats(options: ConnectNatsOptions): Promise<NatsConnection> {
  const servers = options.url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  try {
    return await connect({
      servers,
      name: options.name,
      timeout: options.timeoutMs ?? 2000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      // nats.js builds an Error per request/publish only to keep async stack traces; on the hot
      // path that is ~4 % of ingestion's CPU (bench/RESULTS.md). Our errors carry context anyway.
      noAsyncTraces: true,
    });
  } catch (cause) {
    throw new NatsUnavailableError(options.url, { cause });
  }
}
