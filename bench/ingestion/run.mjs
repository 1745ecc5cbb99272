#!/usr/bin/env node
// Ingestion benchmark (not a test). See bench/ingestion/README.md.
//   npm run bench:ingestion -- [--duration=20] [--warmup=5] [--connections=16] [--batch-size=100]
//     [--systems=baseline,ingestion] [--no-writer] [--writer-prefill=<events>] [--cpu-prof]
//     [--no-record] [--keep]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, ensureStreams, Namespace } from '@cdp/messaging';
import { STREAMS } from '@cdp/contracts';
import { deleteNamespaceStreams, dropTestDatabase } from '@cdp/testing';
import {
  bootstrapWorkspace,
  killChildren,
  ROOT,
  MAIN_JS,
  runLoad,
  startBaseline,
  startPlatform,
  stop,
} from './processes.mjs';
import { cpuBetween, machineCpu, pidListeningOn, sample } from './proc-stat.mjs';
import { prefill, runWriterPhase } from './writer-phase.mjs';
import { formatSummary, summarize } from './profile-summary.mjs';
import { renderReport, recordResults } from './report.mjs';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
    'batch-size': { type: 'string', default: '100' },
    systems: { type: 'string', default: 'baseline,ingestion' },
    writer: { type: 'boolean', default: true },
    'no-writer': { type: 'boolean', default: false },
    'writer-prefill': { type: 'string' },
    'writer-timeout': { type: 'string', default: '600' },
    'cpu-prof': { type: 'boolean', default: false },
    record: { type: 'boolean', default: true },
    'no-record': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'nats-url': { type: 'string', default: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' },
    'postgres-url': {
      type: 'string',
      default: process.env.BENCH_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/postgres',
    },
    'rate-limit': { type: 'string', default: '100000000' },
    rounds: { type: 'string', default: '1' },
    'node-args': { type: 'string', default: '' },
    'platform-env': { type: 'string', default: '' },
    'quiet-wait': { type: 'string', default: '60' },
    'quiet-threshold': { type: 'string', default: '0.15' },
  },
  strict: true,
});

const duration = Number(flags.duration);
const warmup = Number(flags.warmup);
const connections = Number(flags.connections);
const batchSize = Number(flags['batch-size']);
const roundCount = Number(flags.rounds);
// Extra node flags for the platform processes (e.g. "--max-semi-space-size=64"), space-separated.
const extraNodeArgs = flags['node-args'].split(' ').filter(Boolean);
// The collection API runs with the node flags production gives it (NODE_OPTIONS of
// services.ingestion in the Helm chart, read from there so the two never disagree).
const apiNodeArgs = [...productionNodeOptions('ingestion'), ...extraNodeArgs];

/** `NODE_OPTIONS` of `services.<name>.env` in charts/cdp/values.yaml, as a list of flags. */
function productionNodeOptions(service) {
  const values = readFileSync(join(ROOT, 'charts/cdp/values.yaml'), 'utf8');
  const block =
    new RegExp(`\\n  ${service}:\\n((?:    .*\\n|\\s*#.*\\n|\\n)*)`).exec(values)?.[1] ?? '';
  const line = /^\s+NODE_OPTIONS:\s*(.+)$/m.exec(block)?.[1] ?? '';
  return line
    .replace(/^['"]|['"]$/g, '')
    .split(' ')
    .filter(Boolean);
}
// Extra env of the platform processes, "KEY=value,KEY2=value" (e.g. INGEST_PARTITIONS=4).
const extraEnv = Object.fromEntries(
  flags['platform-env']
    .split(',')
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
const systems = new Set(flags.systems.split(',').map((s) => s.trim()));
const withWriter = flags.writer && !flags['no-writer'];
const record = flags.record && !flags['no-record'];
const natsUrl = flags['nats-url'];

if (!existsSync(MAIN_JS)) {
  console.error(`${MAIN_JS} is missing: build first (npx tsc -b tsconfig.json)`);
  process.exit(2);
}

const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const outDir = join(ROOT, 'bench/out', `ingestion-${runId}`);
mkdirSync(outDir, { recursive: true });
const scratch = join(tmpdir(), `cdp-bench-${runId}`);
mkdirSync(scratch, { recursive: true });
const database = `cdp_bench_${runId}`;
const databaseUrl = (() => {
  const u = new URL(flags['postgres-url']);
  u.pathname = `/${database}`;
  return u.toString();
})();
const platformNs = `bench-${runId}`;
const baselineNs = `bench-base-${runId}`;
const writerOnlyNs = `bench-wr-${runId}`;

const log = (line) => console.log(`[bench] ${line}`);
process.on('SIGINT', () => {
  killChildren();
  process.exit(130);
});

// The nats-server of --nats-url (other nats-servers may run on the machine); looked up again
// before each measurement in case it was restarted.
const natsPort = Number(new URL(natsUrl).port || 4222);
let natsPid = pidListeningOn(natsPort);
const machine = {
  nproc: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  host: hostname(),
};
const commit = (() => {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${sha} + uncommitted changes` : sha;
  } catch {
    return 'unknown';
  }
})();
const command = `npm run bench:ingestion -- ${process.argv.slice(2).join(' ')}`.trim();

const finite = (x) => (Number.isFinite(x) ? x : 0);

/** Drives one system with the load generator and samples CPU at the window's edges. */
async function measure(name, url, serverPid, authorization) {
  let before;
  let after;
  let generatorCpu;
  natsPid = pidListeningOn(natsPort) ?? natsPid;
  const result = await runLoad(
    {
      url,
      authorization,
      connections,
      warmupSeconds: warmup,
      durationSeconds: duration,
      batchSize,
    },
    (phase, msg) => {
      if (phase === 'start') before = sample({ server: serverPid, nats: natsPid });
      if (phase === 'end') {
        after = sample({ server: serverPid, nats: natsPid });
        generatorCpu = msg.cpu;
      }
    },
    join(outDir, `load-${name}.log`),
  );
  const cpu = before && after ? cpuBetween(before, after) : undefined;
  const generatorCores = generatorCpu
    ? (generatorCpu.user + generatorCpu.system) / 1e6 / duration
    : NaN;
  const busyCores = (cpu?.machineBusy ?? NaN) * machine.nproc;
  return {
    name,
    ...result,
    serverCores: cpu?.cores.server ?? NaN,
    natsCores: cpu?.cores.nats ?? NaN,
    machineBusy: cpu?.machineBusy ?? NaN,
    window: cpu?.window,
    generatorCores,
    // CPU of everything else on the machine (other builds/tests, Postgres...) during the window.
    otherCores:
      busyCores - finite(cpu?.cores.server) - finite(cpu?.cores.nats) - finite(generatorCores),
  };
}

/**
 * Waits (up to --quiet-wait seconds) until the machine is quiet: under --quiet-threshold busy
 * for 3 s in a row. Returns the busy share measured last (recorded with the run).
 */
async function waitForQuiet() {
  const deadline = Date.now() + Number(flags['quiet-wait']) * 1000;
  const threshold = Number(flags['quiet-threshold']);
  let calm = 0;
  let busy = NaN;
  for (;;) {
    const a = machineCpu();
    await new Promise((r) => setTimeout(r, 1000));
    const b = machineCpu();
    busy = (b.busy - a.busy) / Math.max(1, b.total - a.total);
    calm = busy < threshold ? calm + 1 : 0;
    if (calm >= 3) return busy;
    if (Date.now() > deadline) {
      log(`machine still ${Math.round(busy * 100)} % busy after waiting: measuring anyway`);
      return busy;
    }
  }
}

function platformEnv(extra = {}) {
  return {
    DATABASE_URL: databaseUrl,
    NATS_URL: natsUrl,
    NATS_NAMESPACE: platformNs,
    LOG_LEVEL: 'warn',
    // The per-workspace rate limit (429) would cap one workspace; the benchmark measures the
    // pipeline, so it is raised (the limiter still runs on every request).
    INGEST_RATE_LIMIT_PER_SECOND: flags['rate-limit'],
    ...extraEnv,
    ...extra,
  };
}

function findWriteKey(value) {
  if (typeof value === 'string') return /^wk_[A-Za-z0-9_-]{67}$/.test(value) ? value : undefined;
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) {
      const found = findWriteKey(v);
      if (found) return found;
    }
  }
  return undefined;
}

async function api(url, key, path, body) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path} → ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

const results = { runId, date: new Date().toISOString(), commit, machine, command, outDir };
results.config = {
  duration,
  warmup,
  connections,
  batchSize,
  rounds: roundCount,
  rateLimit: Number(flags['rate-limit']),
  nodeArgs: extraNodeArgs,
  apiNodeArgs,
  platformEnv: extraEnv,
};
let exitCode = 0;
let workspace;
try {
  log(`run ${runId}: logs in ${outDir}`);
  if (systems.has('baseline') || systems.has('ingestion') || withWriter) {
    workspace = await bootstrapWorkspace(databaseUrl, 'bench');
  }

  // Both servers run side by side (one idle while the other is measured) and the rounds
  // alternate baseline / ingestion, so a burst of outside load hits both alike.
  let baseline;
  let platform;
  let authorization;
  const profDir = join(outDir, 'cpu-prof');
  try {
    if (systems.has('baseline')) {
      baseline = await startBaseline({
        env: {
          NATS_URL: natsUrl,
          NATS_NAMESPACE: baselineNs,
          BENCH_WORKSPACE: workspace.workspaceId,
        },
        logFile: join(outDir, 'baseline.log'),
      });
    }
    if (systems.has('ingestion')) {
      platform = await startPlatform({
        env: platformEnv({
          INGESTION_ROLES: 'api',
          CLICKHOUSE_URL: `chdb://${join(scratch, 'ch-api')}`,
        }),
        logFile: join(outDir, 'platform-api.log'),
        nodeArgs: [
          ...apiNodeArgs,
          ...(flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
        ],
      });
      const source = await api(platform.url, workspace.key, '/v1/sources', {
        name: 'bench',
        kind: 'server',
      });
      const sourceId = source.id ?? source.source?.id;
      const created = await api(
        platform.url,
        workspace.key,
        `/v1/sources/${sourceId}/write-keys`,
        {},
      );
      const writeKey = findWriteKey(created);
      if (!writeKey) throw new Error(`no write key in ${JSON.stringify(created).slice(0, 300)}`);
      authorization = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
    }
    const rounds = { baseline: [], ingestion: [] };
    for (let round = 1; round <= roundCount; round++) {
      for (const [name, server] of [
        ['baseline', baseline],
        ['ingestion', platform],
      ]) {
        if (!server) continue;
        results.quietBefore ??= {};
        results.quietBefore[`${name}#${round}`] = await waitForQuiet();
        log(
          `${name} round ${round}/${roundCount}: ${connections} connections, ${warmup}s warm-up + ${duration}s`,
        );
        const r = await measure(
          name,
          server.url,
          server.pid,
          name === 'ingestion' ? authorization : undefined,
        );
        rounds[name].push(r);
        log(
          `${name} round ${round}: ${Math.round(r.eventsPerSecond)} events/s, p99 ${r.latencyMs.p99.toFixed(1)} ms, other processes ${r.otherCores.toFixed(2)} cores`,
        );
      }
    }
    // The median round (by events/s) of each system is the reported figure; all rounds are kept.
    const median = (list) =>
      [...list].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond)[
        Math.floor((list.length - 1) / 2)
      ];
    if (rounds.baseline.length)
      results.baseline = { ...median(rounds.baseline), rounds: rounds.baseline };
    if (rounds.ingestion.length) {
      results.ingestion = {
        ...median(rounds.ingestion),
        rounds: rounds.ingestion,
        acceptedEventsTotal: rounds.ingestion.reduce((sum, r) => sum + r.acceptedEventsTotal, 0),
      };
    }
  } finally {
    if (baseline) await stop(baseline);
    if (platform) await stop(platform);
  }
  if (flags['cpu-prof'] && existsSync(profDir)) {
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (file) {
      // Only the samples of the measured windows (not start-up, warm-up or shutdown).
      const windows = (results.ingestion?.rounds ?? []).map((r) => r.window).filter(Boolean);
      results.profile = {
        file: join(profDir, file),
        summary: summarize(join(profDir, file), 30, windows),
      };
      console.log(formatSummary(results.profile.summary));
      log(`profile: ${results.profile.file}`);
    }
  }

  if (withWriter) {
    const prefillEvents = flags['writer-prefill'] ? Number(flags['writer-prefill']) : undefined;
    let namespace = platformNs;
    let expectedEvents = results.ingestion?.acceptedEventsTotal;
    if (prefillEvents !== undefined || expectedEvents === undefined) {
      namespace = writerOnlyNs;
      const events = prefillEvents ?? 1_000_000;
      log(`writer: pre-filling ${events} events in ${batchSize}-event batches`);
      // Declared as the runtime declares it at start (idempotent, same settings).
      const nc = await connectNats({ url: natsUrl, name: 'bench-setup' });
      await ensureStreams(await jetstreamManager(nc), Namespace.of(namespace), [STREAMS.ingestion]);
      await nc.close();
      const filled = await prefill({
        natsUrl,
        namespace: Namespace.of(namespace),
        workspaceId: workspace.workspaceId,
        events,
        batchSize,
        partitions: 16,
      });
      log(`writer: pre-filled in ${filled.seconds.toFixed(1)} s`);
      expectedEvents = events;
    }
    results.quietBefore ??= {};
    results.quietBefore.writer = await waitForQuiet();
    natsPid = pidListeningOn(natsPort) ?? natsPid;
    log(`writer: draining ${expectedEvents} events into embedded ClickHouse`);
    const writerProfDir = join(outDir, 'cpu-prof-writer');
    results.writer = await runWriterPhase({
      natsUrl,
      namespace: Namespace.of(namespace),
      env: platformEnv({ NATS_NAMESPACE: namespace }),
      chdbDir: join(scratch, 'ch-writer'),
      logFile: join(outDir, 'platform-writer.log'),
      expectedEvents,
      timeoutMs: Number(flags['writer-timeout']) * 1000,
      natsPid,
      nodeArgs: [
        ...extraNodeArgs,
        ...(flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${writerProfDir}`] : []),
      ],
    });
    const w = results.writer;
    w.otherCores = w.machineBusy * machine.nproc - finite(w.writerCores) - finite(w.natsCores);
    if (flags['cpu-prof'] && existsSync(writerProfDir)) {
      const file = readdirSync(writerProfDir).find((f) => f.endsWith('.cpuprofile'));
      if (file && w.window) {
        w.profile = {
          file: join(writerProfDir, file),
          summary: summarize(join(writerProfDir, file), 30, [w.window]),
        };
        console.log(formatSummary(w.profile.summary));
        log(`writer profile: ${w.profile.file}`);
      }
    }
    results.writer.source = namespace === platformNs ? 'http-run' : 'prefill';
    log(`writer: ${Math.round(results.writer.rowsPerSecond)} rows/s`);
  }

  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(renderReport(results));
  if (record) {
    const file = await recordResults(results);
    log(`recorded in ${file}`);
  }
} catch (error) {
  exitCode = 1;
  console.error(`[bench] failed: ${error instanceof Error ? error.stack : String(error)}`);
  console.error(`[bench] logs: ${outDir}`);
} finally {
  killChildren();
  if (!flags.keep) {
    for (const ns of [platformNs, baselineNs, writerOnlyNs]) {
      await deleteNamespaceStreams(ns).catch(() => undefined);
    }
    await dropTestDatabase(database).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  } else {
    log(
      `kept: database ${database}, namespaces ${platformNs} ${baselineNs} ${writerOnlyNs}, ${scratch}`,
    );
  }
}
process.exit(exitCode);
