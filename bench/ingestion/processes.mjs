// Child processes of the benchmark: the monolith (`--services=ingestion`), the bare baseline,
// the CLI bootstrap, and the load generator. Every child's output goes to a log file.
import { execFile, fork, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const MAIN_JS = join(ROOT, 'deploy/monolith/dist/src/main.js');
export const CLI_JS = join(ROOT, 'deploy/monolith/dist/src/cli.js');
const HERE = new URL('./', import.meta.url).pathname;

const children = new Set();
/** Kills every child still running (on failure or Ctrl-C). */
export function killChildren() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function track(child, logFile) {
  children.add(child);
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, pid: child.pid, exited, logFile };
}

/** Stops a child with SIGTERM (SIGKILL after `timeoutMs`) and waits for it. */
export async function stop(handle, timeoutMs = 20_000) {
  if (handle.child.exitCode !== null || handle.child.signalCode !== null) return handle.exited;
  handle.child.kill('SIGTERM');
  const timer = setTimeout(() => handle.child.kill('SIGKILL'), timeoutMs);
  const result = await handle.exited;
  clearTimeout(timer);
  return result;
}

/** `cdp bootstrap --name <name>` against `databaseUrl`; returns its JSON line. */
export async function bootstrapWorkspace(databaseUrl, name) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [CLI_JS, 'bootstrap', '--name', name],
    { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' } },
  );
  const line = stdout.trim().split('\n').filter(Boolean).at(-1) ?? '';
  return JSON.parse(line);
}

/** Starts `node main.js --services=ingestion` with `env`; resolves once /health/ready is 200. */
export async function startPlatform({
  env,
  logFile,
  nodeArgs = [],
  readyTimeoutMs = 90_000,
  onSpawn = () => undefined,
}) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, MAIN_JS, '--services=ingestion'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onSpawn(child.pid);
  const handle = { ...track(child, logFile), url: `http://127.0.0.1:${port}` };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(
        `platform exited with code ${child.exitCode} during start-up (log: ${logFile})`,
      );
    }
    try {
      const res = await fetch(`${handle.url}/health/ready`);
      if (res.ok) return handle;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop(handle);
      throw new Error(`platform not ready after ${readyTimeoutMs} ms (log: ${logFile})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts the bare baseline server; resolves with its handle once it listens. */
export async function startBaseline({ env, logFile }) {
  const child = spawn(process.execPath, [join(HERE, 'baseline-server.mjs')], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const handle = track(child, logFile);
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`baseline exited with ${code} (log: ${logFile})`)));
  });
  return { ...handle, url: `http://127.0.0.1:${port}` };
}

/**
 * Runs the load generator in its own process against `url`. `onWindow(phase, msg)` is called
 * at the edges of the measured window (synchronously, to sample CPU counters there).
 */
export async function runLoad(load, onWindow, logFile) {
  const child = fork(join(HERE, 'load-generator.mjs'), [], {
    cwd: ROOT,
    env: { ...process.env, BENCH_LOAD: JSON.stringify(load) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const handle = track(child, logFile);
  let result;
  child.on('message', (msg) => {
    if (msg.type === 'window') onWindow(msg.phase, msg);
    if (msg.type === 'result') result = msg;
  });
  const { code } = await handle.exited;
  if (!result)
    throw new Error(`load generator exited with ${code} without a result (log: ${logFile})`);
  return { ...result, generatorPid: handle.pid };
}
