import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectNats, Namespace } from '../src';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** A fresh namespace per test file: stream names and subjects never collide across files. */
export function testNamespace(): Namespace {
  return Namespace.of(`t${randomBytes(5).toString('hex')}`);
}

export function connect(name: string): Promise<NatsConnection> {
  return connectNats({ url: NATS_URL, name });
}

/** Deletes every stream of the namespace (consumers go with them). */
export async function deleteStreams(ns: Namespace): Promise<void> {
  const nc = await connect('cleanup');
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(`${ns.value}_`)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}
