import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Deletes every stream of a test namespace (stream names are prefixed with it). */
export async function deleteNamespaceStreams(namespace: string): Promise<void> {
  const nc = await connect({ servers: TEST_NATS_URL.replace(/^nats:\/\//, '') });
  try {
    const jsm = await jetstreamManager(nc);
    const prefix = namespace.toUpperCase();
    for await (const stream of jsm.streams.list()) {
      const name = stream.config.name;
      if (name.toUpperCase().startsWith(`${prefix}_`)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}
