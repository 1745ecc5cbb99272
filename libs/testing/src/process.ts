import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface SpawnedProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote so far. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal and measures how long the process takes to exit. */
  stop(
    signal?: NodeJS.Signals,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** Runs a compiled entry point of the platform as its own process (as production does). */
export function spawnNode(
  entry: string,
  args: readonly string[],
  env: Record<string, string>,
): SpawnedProcess {
  const child = spawn(process.execPath, ['--enable-source-maps', entry, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => (buffer += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (buffer += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return {
    child,
    output: () => buffer,
    exited,
    async stop(signal = 'SIGTERM') {
      const started = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const result = await exited;
      return { ...result, ms: Date.now() - started };
    },
  };
}

/** Polls `url` until it answers `status` (default 200) or the process dies or time runs out. */
export async function waitForHttp(
  url: string,
  options: { status?: number; timeoutMs?: number; process?: SpawnedProcess } = {},
): Promise<Response> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (options.process && options.process.child.exitCode !== null) {
      throw new Error(
        `process exited (${options.process.child.exitCode}) before ${url} was ready:\n${options.process.output()}`,
      );
    }
    try {
      const response = await fetch(url);
      if (response.status === (options.status ?? 200)) return response;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `${url} not ready in time (last: ${last})${options.process ? `\n${options.process.output()}` : ''}`,
  );
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
