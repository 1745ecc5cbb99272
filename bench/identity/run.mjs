#!/usr/bin/env node
// Identity benchmark (not a test). See bench/identity/README.md.
//   npm run bench:identity -- [--people=20000] [--seed=1] [--message-size=100] [--partitions=8]
//     [--baseline-events=3000] [--no-record]
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, ensureStreams, EventPublisher, Namespace } from '@cdp/messaging';
import { STREAMS, SUBJECTS } from '@cdp/contracts';
import { startTestPlatform } from '@cdp/runtime';
import { TEST_NATS_URL } from '@cdp/testing';
import { generatePopulation, pairwiseQuality } from './population.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
const DIST = join(ROOT, 'services/identity/dist/src');
const { identityService } = await import(join(DIST, 'identity.service-definition.js'));
const { ResolveEventUseCase } = await import(
  join(DIST, 'resolution/application/resolve-event.use-case.js')
);
const { ResolveObservationUseCase } = await import(
  join(DIST, 'resolution/application/resolve-observation.use-case.js')
);
const { PostgresIdentityGraph } = await import(
  join(DIST, 'resolution/infrastructure/postgres-identity-graph.js')
);
const { DefaultIdentityConfigProvider, DefaultSourceKindLookup, RandomIdGenerator } = await import(
  join(DIST, 'resolution/infrastructure/default-identity-settings.js')
);

const { values: flags } = parseArgs({
  options: {
    people: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '1' },
    'message-size': { type: 'string', default: '100' },
    partitions: { type: 'string', default: '8' },
    'baseline-events': { type: 'string', default: '3000' },
    record: { type: 'boolean', default: true },
    'no-record': { type: 'boolean', default: false },
  },
  strict: true,
});
const people = Number(flags.people);
const seed = Number(flags.seed);
const messageSize = Number(flags['message-size']);
const partitions = Number(flags.partitions);
const baselineEvents = Number(flags['baseline-events']);
const record = flags.record && !flags['no-record'];
const WORKSPACE = 'ws_bench_identity';
const SOURCE_KINDS = 'src_server=server';

/** Ingestion's partition function: hash(workspace, anonymousId ?? userId) mod N. */
function partitionOf(workspaceId, personKey) {
  let hash = 0x811c9dc5;
  const input = `${workspaceId}\u0000${personKey}`;
  for (let i = 0; i < input.length; i++) {
    hash ^= input.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

console.log(`# identity bench: ${people} people, seed ${seed}`);
const population = generatePopulation({ people, seed, workspaceId: WORKSPACE });
const { events } = population;
console.log(`# ${events.length} events, ${population.owners.size} true identifiers`);

// Accepted micro-batches as ingestion publishes them: per partition, in time order.
const byPartition = Array.from({ length: partitions }, () => []);
for (const event of events)
  byPartition[partitionOf(WORKSPACE, event.anonymousId ?? event.userId ?? '')].push(event);
const messages = [];
for (let offset = 0; ; offset += messageSize) {
  let any = false;
  byPartition.forEach((list, partition) => {
    const items = list.slice(offset, offset + messageSize);
    if (items.length > 0) {
      any = true;
      messages.push({ partition, items });
    }
  });
  if (!any) break;
}

// 1. Fill the EVENTS stream first, so the resolver drains a backlog (its own speed, not the
// publisher's).
const namespace = `bench-identity-${randomBytes(4).toString('hex')}`;
const nats = await connectNats({ url: TEST_NATS_URL, name: 'bench-identity' });
await ensureStreams(await jetstreamManager(nats), Namespace.of(namespace), [
  STREAMS.ingestion,
  STREAMS.identity,
  STREAMS.deadletter,
]);
const publisher = new EventPublisher(nats, Namespace.of(namespace));
let published = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (published < messages.length) {
      const index = published++;
      const message = messages[index];
      await publisher.publish(
        `${SUBJECTS.eventAccepted}.${WORKSPACE}.${message.partition}`,
        { items: message.items },
        {
          messageId: `bench-${index}`,
          workspaceId: WORKSPACE,
          schema: 'cdp.ingestion.v1.EventBatch',
        },
      );
    }
  }),
);
console.log(`# ${messages.length} accepted messages of up to ${messageSize} events in EVENTS`);

/** CPU seconds (user + system) of a process so far, from /proc (Linux). */
function cpuSecondsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
const natsPid = (() => {
  try {
    return execFileSync('pidof', ['nats-server']).toString().trim().split(' ')[0];
  } catch {
    return undefined;
  }
})();
/** Node (this process: the service), its Postgres backends and nats-server. */
async function cpuNow(postgres) {
  const backends = postgres
    ? (
        await postgres.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database()')
      ).map((r) => r.pid)
    : [];
  const node = process.cpuUsage();
  return {
    node: (node.user + node.system) / 1e6,
    backends: new Map(backends.map((pid) => [pid, cpuSecondsOf(pid)])),
    nats: natsPid ? cpuSecondsOf(natsPid) : 0,
  };
}
function cpuBetween(before, after) {
  let postgres = 0;
  for (const [pid, end] of after.backends) postgres += end - (before.backends.get(pid) ?? 0);
  return { node: after.node - before.node, postgres, nats: after.nats - before.nats };
}

// 2. Count resolved events as the service publishes them.
let resolvedEvents = 0;
let firstAt;
let firstCount = 0;
let lastAt;
let cpuAtFirst;
/** Monotonic µs of the first resolved batch (the window to read a --cpu-prof profile in). */
let windowStartUs;
let servicePostgres;
let done;
const finished = new Promise((resolve) => (done = resolve));
const subscription = nats.subscribe(`${namespace}.${SUBJECTS.eventResolved}.>`);
void (async () => {
  for await (const m of subscription) {
    const n = m.json().items.length;
    resolvedEvents += n;
    lastAt = performance.now();
    if (firstAt === undefined) {
      firstAt = lastAt;
      firstCount = n;
      cpuAtFirst = cpuNow(servicePostgres);
      windowStartUs = process.hrtime.bigint() / 1000n;
    }
    if (resolvedEvents >= events.length) done();
  }
})();

const h = await startTestPlatform([identityService], {
  label: 'bench_identity',
  env: { NATS_NAMESPACE: namespace, IDENTITY_SOURCE_KINDS: SOURCE_KINDS, LOG_LEVEL: 'warn' },
});
servicePostgres = h.platform.infrastructure.services.find((s) => s.service === 'identity').postgres;
const startedAt = performance.now();
await finished;
const cpuEnd = await cpuNow(servicePostgres);
console.log(
  `# drain window (µs, for profile-summary.mjs): ${windowStartUs} ${process.hrtime.bigint() / 1000n}`,
);
const cpu = cpuBetween(await cpuAtFirst, cpuEnd);
const cpuTotal = cpu.node + cpu.postgres + cpu.nats;
const drainSeconds = (lastAt - firstAt) / 1000;
const eventsPerSecond = (resolvedEvents - firstCount) / drainSeconds;
console.log(
  `# resolver: ${resolvedEvents} events resolved in ${((lastAt - startedAt) / 1000).toFixed(2)} s ` +
    `after start, ${Math.round(eventsPerSecond)} events/s between the first and last resolved batch`,
);
const perCpuSecond = (resolvedEvents - firstCount) / cpuTotal;
console.log(
  `# CPU meanwhile: identity process ${cpu.node.toFixed(2)} s, its Postgres backends ` +
    `${cpu.postgres.toFixed(2)} s, nats-server ${cpu.nats.toFixed(2)} s → ` +
    `${Math.round(perCpuSecond)} events per CPU-second (${Math.round(2 * perCpuSecond)} events/s on 2 dedicated cores)`,
);

// 3. Quality against the truth, from the live graph.
const service = h.platform.infrastructure.services.find((s) => s.service === 'identity');
const postgres = service.postgres;
const rows = await postgres.query(
  `SELECT type || ':' || value AS key, profile_id FROM identity.identifiers WHERE workspace_id = $1`,
  [WORKSPACE],
);
const profileByKey = new Map(rows.map((r) => [r.key, r.profile_id]));
const quality = pairwiseQuality(population, (key) => profileByKey.get(key));
const unexpected = rows.filter(
  (r) => !population.owners.has(r.key) && !population.shared.has(r.key),
).length;
const [{ profiles }] = await postgres.query(
  `SELECT count(*)::int AS profiles FROM identity.profiles
   WHERE workspace_id = $1 AND merged_into IS NULL`,
  [WORKSPACE],
);
const [{ conflicts }] = await postgres.query(
  'SELECT count(*)::int AS conflicts FROM identity.conflicts WHERE workspace_id = $1',
  [WORKSPACE],
);
console.log(
  `# precision ${quality.precision.toFixed(5)}, recall ${quality.recall.toFixed(5)} ` +
    `(${quality.identifiers} identifiers, ${quality.resolvablePairs} resolvable pairs, ` +
    `${quality.sharedIdentifiers} shared left out, ${unexpected} unexpected identifiers, ` +
    `${profiles} profiles for ${people} people, ${conflicts} conflicts recorded)`,
);

// 4. Baseline in the same run: the same events resolved one at a time (the resolver before
// micro-batches: one transaction per event, 16 in flight), on a fresh workspace.
const baselineWorkspace = `${WORKSPACE}_single`;
const single = new ResolveEventUseCase(
  new DefaultIdentityConfigProvider(),
  new DefaultSourceKindLookup({ src_server: 'server' }),
  new ResolveObservationUseCase(
    new PostgresIdentityGraph(postgres),
    new DefaultIdentityConfigProvider(),
    new RandomIdGenerator(),
  ),
);
const sample = events
  .slice(0, baselineEvents)
  .map((e) => ({ ...e, workspaceId: baselineWorkspace }));
let next = 0;
const baselineStarted = performance.now();
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (next < sample.length) {
      const event = sample[next++];
      for (let attempt = 0; ; attempt++) {
        try {
          await single.execute({ event });
          break;
        } catch (error) {
          if (attempt > 5) throw error;
        }
      }
    }
  }),
);
const baselinePerSecond = sample.length / ((performance.now() - baselineStarted) / 1000);
console.log(
  `# baseline (one event per transaction, 16 in flight): ${Math.round(baselinePerSecond)} events/s ` +
    `on the first ${sample.length} events; micro-batches: ${(eventsPerSecond / baselinePerSecond).toFixed(1)}×`,
);

subscription.unsubscribe();
await h.close();
await nats.drain();

const result = {
  people,
  seed,
  events: events.length,
  messages: messages.length,
  messageSize,
  partitions,
  eventsPerSecond,
  baselinePerSecond,
  baselineEvents: sample.length,
  cpu,
  drainSeconds,
  perCpuSecond,
  quality,
  unexpected,
  profiles,
  conflicts,
};
console.log(JSON.stringify(result));
if (record) recordRun(result);

function recordRun(r) {
  const file = join(ROOT, 'bench/RESULTS.md');
  const marker = '<!-- identity runs: newest first (written by bench/identity/run.mjs) -->';
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  if (!text.includes(marker)) text += `\n## Identity (\`bench/identity\`)\n\n${marker}\n`;
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT })
    .toString()
    .trim();
  const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT }).toString().trim();
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const args = process.argv.slice(2).join(' ');
  const section = `
### Identity — ${when} UTC

- Command: \`npm run bench:identity${args ? ` -- ${args}` : ''}\`
- Commit: ${commit}${dirty ? ' + uncommitted changes' : ''}
- Machine: ${cpus().length} × ${cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? '?'}, Node ${process.version}; NATS, Postgres and the identity service (one process, embedded ClickHouse for identity_map) share the machine with whatever else runs: absolute figures are pessimistic on the shared 2-core machine.
- Population: ${r.people} people (seed ${r.seed}), ${r.events} events in ${r.messages} accepted messages of up to ${r.messageSize} events over ${r.partitions} partitions, drained from a pre-filled EVENTS stream.

| measure | value |
| --- | --- |
| events/s resolved (micro-batches, first to last resolved batch) | ${Math.round(r.eventsPerSecond).toLocaleString('en-US')} |
| baseline: one event per transaction, 16 in flight (first ${r.baselineEvents} events) | ${Math.round(r.baselinePerSecond).toLocaleString('en-US')} |
| ratio micro-batches / baseline | ${(r.eventsPerSecond / r.baselinePerSecond).toFixed(1)}× |
| CPU during the drain (${r.drainSeconds.toFixed(1)} s): identity process / its Postgres backends / nats-server | ${r.cpu.node.toFixed(1)} s / ${r.cpu.postgres.toFixed(1)} s / ${r.cpu.nats.toFixed(1)} s |
| events per CPU-second of those three (noise-free cost figure) | ${Math.round(r.perCpuSecond).toLocaleString('en-US')} |
| projected events/s on 2 cores dedicated to them (2 × the line above) | ${Math.round(2 * r.perCpuSecond).toLocaleString('en-US')} |
| pairwise precision (same person) | ${r.quality.precision.toFixed(5)} |
| pairwise recall (on what the rules can resolve) | ${r.quality.recall.toFixed(5)} |
| identifiers evaluated / resolvable pairs | ${r.quality.identifiers} / ${r.quality.resolvablePairs} |
| shared identifiers (left out) / unexpected identifiers (junk that got in) | ${r.quality.sharedIdentifiers} / ${r.unexpected} |
| live profiles / people; conflicts recorded | ${r.profiles} / ${r.people}; ${r.conflicts} |
`;
  text = text.replace(marker, `${marker}\n${section}`);
  writeFileSync(file, text);
  console.log(`# recorded in ${file}`);
}
