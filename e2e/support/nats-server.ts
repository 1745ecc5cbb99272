import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort, tempDir } from '@cdp/testing';

const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

/**
 * A nats-server of one test's own (never the machine's shared one), on a fixed port and store
 * directory, so it can be SIGKILLed and started again with the same JetStream state.
 */
export interface DedicatedNats {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** Everything the server printed, across restarts. */
  output(): string;
  /** SIGKILL: no shutdown, no flush, as a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store directory; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it (SIGTERM) and removes its store directory. */
  dispose(): Promise<void>;
}

export async function startDedicatedNats(): Promise<DedicatedNats> {
  const port = await freePort();
  const root = tempDir('cdp-e2e-nats-');
  const storeDir = join(root, 'jetstream');
  const configFile = join(root, 'nats.conf');
  // nats-server 2.9 has no `sync_interval` (2.10+): stream writes reach the OS on every append
  // (flush in place), so a killed *process* loses nothing the kernel got; fsync is periodic.
  writeFileSync(
    configFile,
    [`listen: "127.0.0.1:${port}"`, `jetstream { store_dir: "${storeDir}" }`, ''].join('\n'),
  );
  let child: ChildProcess | undefined;
  let log = '';

  async function start(): Promise<void> {
    const spawned = spawn(NATS_SERVER, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = spawned;
    // Never outlive the test process, even when it fails before dispose().
    const reap = () => spawned.kill('SIGKILL');
    process.once('exit', reap);
    spawned.once('exit', () => process.removeListener('exit', reap));
    spawned.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    spawned.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (spawned.exitCode !== null) throw new Error(`nats-server exited early:\n${log}`);
      if (
        (await portOpen(port)) &&
        /Server is ready/.test(log.split('Starting nats-server').pop() ?? '')
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`nats-server did not start on ${port}:\n${log}`);
  }

  async function stop(signal: NodeJS.Signals): Promise<void> {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill(signal);
    await exited;
  }

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    output: () => log,
    kill: () => stop('SIGKILL'),
    start,
    async dispose() {
      await stop('SIGTERM');
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
