import { join } from 'node:path';
import {
  deleteNamespaceStreams,
  dropTestDatabase,
  freePort,
  missingDatabaseUrl,
  spawnNode,
  tempDir,
  TEST_NATS_URL,
  uniqueName,
  waitForHttp,
  type SpawnedProcess,
} from '@cdp/testing';

// Compiled to e2e/dist/support.
export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const MONOLITH_ENTRY = join(REPO_ROOT, 'deploy', 'monolith', 'dist', 'src', 'main.js');
export const CLI_ENTRY = join(REPO_ROOT, 'deploy', 'monolith', 'dist', 'src', 'cli.js');
export const serviceEntry = (name: string) =>
  join(REPO_ROOT, 'services', name, 'dist', 'src', 'main.js');

/** Isolated dependencies of one platform run: its own database, NATS namespace and ClickHouse dir. */
export interface Sandbox {
  readonly database: string;
  readonly env: Record<string, string>;
  cleanup(): Promise<void>;
}

export function createSandbox(label: string): Sandbox {
  const database = uniqueName(`e2e_${label}`);
  const namespace = uniqueName(label).replace(/_/g, '-');
  return {
    database,
    env: {
      DATABASE_URL: missingDatabaseUrl(database),
      NATS_URL: TEST_NATS_URL,
      NATS_NAMESPACE: namespace,
      CLICKHOUSE_URL: `chdb://${tempDir('cdp-e2e-ch-')}`,
    },
    async cleanup() {
      await deleteNamespaceStreams(namespace);
      await dropTestDatabase(database);
    },
  };
}

export interface RunningProcess {
  readonly url: string;
  readonly process: SpawnedProcess;
}

/** Starts a compiled entry point and waits until /health/ready answers 200. */
export async function startProcess(
  entry: string,
  sandbox: Sandbox,
  options: { args?: string[]; env?: Record<string, string> } = {},
): Promise<RunningProcess> {
  const port = await freePort();
  const spawned = spawnNode(entry, options.args ?? [], {
    ...sandbox.env,
    PORT: String(port),
    ...options.env,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/health/ready`, { process: spawned, timeoutMs: 90_000 });
  } catch (error) {
    await spawned.stop('SIGKILL');
    throw error;
  }
  return { url, process: spawned };
}

/** Runs the platform CLI to completion and returns its output. */
export async function runCli(
  args: string[],
  sandbox: Sandbox,
): Promise<{ code: number | null; stdout: string }> {
  const spawned = spawnNode(CLI_ENTRY, args, sandbox.env);
  const { code } = await spawned.exited;
  return { code, stdout: spawned.output() };
}
