#!/usr/bin/env node
// Profile benchmark (not a test). See bench/profile/README.md.
//   npm run bench:profile -- [--events=200000] [--batch-size=100] [--profiles=20000] [--burst=5]
//     [--partitions=8] [--get-concurrency=8] [--idle-seconds=5] [--single] [--cpu-prof]
//     [--no-record] [--keep]
//
// 1. Pre-builds ResolvedEventBatch messages (identify / track / Order Completed / page over
//    `--profiles` profiles) and publishes them straight to the IDENTITY stream.
// 2. Starts the profile service (`main.js --services=profile`) as an API process and a projector
//    process (PROFILE_ROLES; --single: one process with both); the projector drains the backlog. Updates/s = events applied / drain time (first ack → empty),
//    from the consumer's own counters; "sustained" = the middle 80 % of the drain.
// 3. Meanwhile a closed-loop client GETs random /v1/profiles/:id (p50/p99 under load), then the
//    same client runs on the idle service (the baseline of the same run).
import { spawn } from 'node:child_process';
import { appendFileSync, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, ensureStreams, EventPublisher, Namespace } from '@cdp/messaging';
import { eventSubject, STREAMS, SUBJECTS } from '@cdp/contracts';
import { deleteNamespaceStreams, dropTestDatabase } from '@cdp/testing';
import pg from 'pg';
import {
  bootstrapWorkspace,
  freePort,
  killChildren,
  MAIN_JS,
  ROOT,
  stop,
} from '../ingestion/processes.mjs';
import { processCpuSeconds } from '../ingestion/proc-stat.mjs';

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    'batch-size': { type: 'string', default: '100' },
    profiles: { type: 'string', default: '20000' },
    partitions: { type: 'string', default: '8' },
    burst: { type: 'string', default: '5' },
    'get-concurrency': { type: 'string', default: '8' },
    'idle-seconds': { type: 'string', default: '5' },
    'drain-timeout': { type: 'string', default: '600' },
    record: { type: 'boolean', default: true },
    'no-record': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    single: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'nats-url': { type: 'string', default: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' },
    'postgres-url': {
      type: 'string',
      default: process.env.BENCH_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/postgres',
    },
  },
  strict: true,
});

const totalEvents = Number(flags.events);
const batchSize = Number(flags['batch-size']);
const profileCount = Number(flags.profiles);
const partitions = Number(flags.partitions);
const burst = Number(flags.burst);
const getConcurrency = Number(flags['get-concurrency']);
const idleSeconds = Number(flags['idle-seconds']);
const record = flags.record && !flags['no-record'];
const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(2).toString('hex')}`;
const outDir = join(tmpdir(), `cdp-bench-profile-${runId}`);
mkdirSync(outDir, { recursive: true });
const database = `bench_profile_${randomBytes(4).toString('hex')}`;
const databaseUrl = new URL(flags['postgres-url']);
databaseUrl.pathname = `/${database}`;
const namespace = `bench-profile-${randomBytes(3).toString('hex')}`;
const log = (msg) => console.error(`[bench:profile] ${msg}`);

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The events of one profile's life, deterministic from (i, profile). */
function buildEvent(i, workspaceId) {
  // A person's events come in runs (a session lands in one partition within a linger window).
  const profile = (Math.floor(i / burst) * 7919) % profileCount;
  const timestamp = new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString();
  const base = {
    messageId: `bench-${i}`,
    workspaceId,
    sourceId: 'src_bench',
    writeKeyId: 'wk_bench',
    anonymousId: `anon-${profile}`,
    userId: `user-${profile}`,
    timestamp,
    receivedAt: timestamp,
    profileId: `prof_${profile}`,
    context: { userAgent: 'Mozilla/5.0 (Windows NT 10.0)', sessionId: `s-${profile}-${i % 5}` },
  };
  const kind = i % 10;
  if (kind < 2)
    return {
      ...base,
      type: 'identify',
      traits: {
        email: `user-${profile}@bench.example`,
        plan: ['free', 'pro', 'team'][i % 3],
        address: { city: ['Kazan', 'Moscow', 'Sochi'][i % 3], zip: String(i % 1000) },
      },
    };
  if (kind === 2)
    return {
      ...base,
      type: 'track',
      event: 'Order Completed',
      properties: { order_id: `o-${i}`, revenue: (i % 200) + 0.99 },
    };
  if (kind === 3) return { ...base, type: 'page', name: 'Home' };
  return {
    ...base,
    type: 'track',
    event: 'Product Viewed',
    properties: { sku: `sku-${i % 500}`, price: i % 90 },
  };
}

async function waitReady(url, child, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`platform exited (${child.exitCode}); see ${outDir}`);
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('platform not ready');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Closed-loop GETs of random profiles until `until()` is true; latencies in ms. */
async function getLoad(url, key, until) {
  const latencies = [];
  let errors = 0;
  const worker = async () => {
    while (!until()) {
      const id = `prof_${Math.floor(Math.random() * profileCount)}`;
      const started = performance.now();
      const res = await fetch(`${url}/v1/profiles/${id}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      await res.arrayBuffer();
      const elapsed = performance.now() - started;
      // 404 = the profile has no event applied yet: still a lookup served.
      if (res.status === 200 || res.status === 404) latencies.push(elapsed);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: getConcurrency }, worker));
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.at(-1),
  };
}

const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a');
const int = (v) => Math.round(v).toLocaleString('en-US');

const platforms = [];

/** Starts `main.js --services=profile` with PROFILE_ROLES=`roles`; resolves once ready. */
async function startProfileProcess(roles, name) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const nodeArgs = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(outDir, name)}`] : [];
  const child = spawn(process.execPath, [...nodeArgs, MAIN_JS, '--services=profile'], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl.toString(),
      NATS_URL: flags['nats-url'],
      NATS_NAMESPACE: namespace,
      // Embedded ClickHouse allows one process per data directory.
      CLICKHOUSE_URL: `chdb://${join(outDir, `ch-${name}`)}`,
      PROFILE_ROLES: roles,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = createWriteStream(join(outDir, `${name}.log`));
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const handle = { child, url, exited: new Promise((r) => child.on('exit', r)) };
  await waitReady(url, child, 120_000);
  return handle;
}

const nats = await connectNats({ url: flags['nats-url'], name: 'bench-profile' });
const ns = new Namespace(namespace);
try {
  log(`run ${runId}: logs in ${outDir}`);
  const boot = await bootstrapWorkspace(databaseUrl.toString(), 'bench');
  const workspaceId = boot.workspaceId;
  const key = boot.key;
  await ensureStreams(await jetstreamManager(nats), ns, [STREAMS.identity, STREAMS.profile]);
  const publisher = new EventPublisher(nats, ns);

  // 1. Prefill the IDENTITY stream with pre-built resolved batches.
  const prefillStart = performance.now();
  let inFlight = [];
  const messages = Math.ceil(totalEvents / batchSize);
  for (let m = 0; m < messages; m++) {
    const items = [];
    for (let i = m * batchSize; i < Math.min(totalEvents, (m + 1) * batchSize); i++)
      items.push(buildEvent(i, workspaceId));
    inFlight.push(
      publisher.publish(
        eventSubject(SUBJECTS.eventResolved, workspaceId, m % partitions),
        { items },
        {
          messageId: `bench-batch-${m}`,
          workspaceId,
          schema: 'cdp.identity.v1.ResolvedEventBatch',
        },
      ),
    );
    if (inFlight.length >= 64) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  log(
    `prefilled ${int(totalEvents)} events in ${messages} messages (${((performance.now() - prefillStart) / 1000).toFixed(1)} s)`,
  );

  // 2. Start the profile service: an API process, then a projector process that drains the
  //    backlog (PROFILE_ROLES; --single runs both roles in one process, as `npm start` does).
  const api = await startProfileProcess(flags.single ? 'api,projector' : 'api', 'api');
  const url = api.url;
  const projector = flags.single ? api : await startProfileProcess('projector', 'projector');
  platforms.push(...new Set([api, projector]));
  const cpuAtStart = processCpuSeconds(projector.child.pid);
  log('profile service ready; draining');

  const jsm = await jetstreamManager(nats);
  const stream = ns.stream(STREAMS.identity.name);
  const samples = [];
  let drained = false;
  const drainDeadline = Date.now() + Number(flags['drain-timeout']) * 1000;
  const poll = (async () => {
    for (;;) {
      const info = await jsm.consumers
        .info(stream, 'profile-resolved-events')
        .catch(() => undefined);
      if (info) {
        samples.push({ t: performance.now(), acked: info.ack_floor.stream_seq });
        if (
          info.num_pending === 0 &&
          info.num_ack_pending === 0 &&
          info.ack_floor.stream_seq >= messages
        ) {
          drained = true;
          return;
        }
      }
      if (Date.now() > drainDeadline) throw new Error('drain timeout');
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const underLoad = getLoad(url, key, () => drained);
  await poll;
  const loaded = await underLoad;

  const projectorCpu = processCpuSeconds(projector.child.pid) - cpuAtStart;
  const first = samples.find((s) => s.acked > 0) ?? samples[0];
  const last = samples.at(-1);
  const drainSeconds = (last.t - first.t) / 1000;
  const eventsPerSecond = totalEvents / drainSeconds;
  const lo = samples.find((s) => s.acked >= messages * 0.1);
  const hi = samples.find((s) => s.acked >= messages * 0.9);
  const sustained =
    lo && hi && hi.t > lo.t ? ((hi.acked - lo.acked) * batchSize) / ((hi.t - lo.t) / 1000) : NaN;

  // Where the consumer's time went: its own step histogram (sum / count of resolved batches).
  const metrics = await (await fetch(`${projector.url}/metrics`)).text();
  const metric = (name) =>
    Number(
      new RegExp(`^${name}\\{kind="resolved",outcome="ok"\\} ([0-9.e+-]+)$`, 'm').exec(
        metrics,
      )?.[1] ?? NaN,
    );
  const stepSeconds = metric('profile_projection_duration_seconds_sum');
  const steps = metric('profile_projection_duration_seconds_count');

  // 3. Baseline: the same GET client on the idle service.
  const idleUntil = Date.now() + idleSeconds * 1000;
  const idle = await getLoad(url, key, () => Date.now() > idleUntil);

  // Checks: every event applied once, profiles written, ProfileUpdated published.
  const client = new pg.Client({ connectionString: databaseUrl.toString() });
  await client.connect();
  const [{ facts }] = (
    await client.query('SELECT count(*)::int AS facts FROM profile.facts WHERE workspace_id = $1', [
      workspaceId,
    ])
  ).rows;
  const [{ profiles, versions }] = (
    await client.query(
      'SELECT count(*)::int AS profiles, sum(version)::int AS versions FROM profile.profiles WHERE workspace_id = $1',
      [workspaceId],
    )
  ).rows;
  await client.end();
  if (facts !== totalEvents) throw new Error(`expected ${totalEvents} facts, found ${facts}`);

  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT })
    .toString()
    .trim();
  const command = `npm run bench:profile -- ${process.argv.slice(2).join(' ')}`.trim();
  const report = [
    `### Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (commit ${commit})`,
    '',
    `\`${command}\`: ${int(totalEvents)} events in ${messages} ResolvedEventBatch messages of ${batchSize}, ` +
      `${int(profileCount)} profiles (runs of ${burst} consecutive events per profile), ${partitions} partitions, ` +
      `${getConcurrency} concurrent GET clients, ` +
      `${flags.single ? 'one process (api + projector)' : 'API and projector processes'}; ` +
      `${cpus().length} cores shared with other work (figures pessimistic).`,
    '',
    '| figure | value |',
    '| --- | --- |',
    `| profile updates (events applied) / s, whole drain | ${int(eventsPerSecond)} |`,
    `| profile updates / s, sustained (middle 80 % of the drain) | ${int(sustained)} |`,
    `| drain time | ${drainSeconds.toFixed(1)} s |`,
    `| projector process CPU during the drain | ${projectorCpu.toFixed(1)} CPU-s = ${int(totalEvents / projectorCpu)} events per projector CPU-second |`,
    `| mean time from a message's delivery to its commit (coalesced transactions) | ${ms((stepSeconds / steps) * 1000)} over ${int(steps)} steps (${(stepSeconds / drainSeconds).toFixed(1)} steps in flight on average) |`,
    `| profile rows written / ProfileUpdated published (sum of versions) | ${int(profiles)} / ${int(versions)} |`,
    `| GET /v1/profiles/:id under load: p50 / p90 / p99 / max | ${ms(loaded.p50)} / ${ms(loaded.p90)} / ${ms(loaded.p99)} / ${ms(loaded.max)} (${int(loaded.requests)} requests, ${loaded.errors} errors) |`,
    `| GET idle (baseline, same run): p50 / p90 / p99 | ${ms(idle.p50)} / ${ms(idle.p90)} / ${ms(idle.p99)} (${int(idle.requests)} requests) |`,
    `| p99 under load / idle p99 | ${(loaded.p99 / idle.p99).toFixed(1)} × |`,
    '',
  ].join('\n');
  console.log(report);
  if (record) appendFileSync(join(ROOT, 'bench', 'RESULTS.md'), `\n${report}`);
} catch (error) {
  log(`failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
} finally {
  for (const platform of platforms) await stop(platform).catch(() => undefined);
  killChildren();
  if (!flags.keep) {
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await dropTestDatabase(database).catch(() => undefined);
    for (const dir of ['ch-api', 'ch-projector'])
      rmSync(join(outDir, dir), { recursive: true, force: true });
  }
  await nats.close();
}
