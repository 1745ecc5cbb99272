#!/usr/bin/env node
// CRM benchmark (not a test). See bench/crm/README.md.
//   npm run bench:crm -- [--contacts=100000] [--deals=100000] [--list-requests=600]
//     [--writers=16] [--duration=20] [--no-record]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { rng, seed } from './seed.mjs';
import { cpuBetween, sample } from '../ingestion/proc-stat.mjs';

const { values: flags } = parseArgs({
  options: {
    contacts: { type: 'string', default: '100000' },
    deals: { type: 'string', default: '100000' },
    'list-requests': { type: 'string', default: '600' },
    writers: { type: 'string', default: '16' },
    duration: { type: 'string', default: '20' },
    record: { type: 'boolean', default: true },
    'cpu-prof': { type: 'boolean', default: false },
    explain: { type: 'boolean', default: false },
    'no-record': { type: 'boolean', default: false },
  },
  strict: true,
});
const CONTACTS = Number(flags.contacts);
const DEALS = Number(flags.deals);
const LIST_REQUESTS = Number(flags['list-requests']);
const WRITERS = Number(flags.writers);
const DURATION_MS = Number(flags.duration) * 1000;
const ROOT = join(import.meta.dirname, '..', '..');

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
function stats(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
  };
}
const ms = (v) => (Number.isFinite(v) ? v.toFixed(1) : '-');

function startServer() {
  const nodeArgs = flags['cpu-prof']
    ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, '.data', 'crm-bench-prof')}`]
    : [];
  const child = spawn(process.execPath, [...nodeArgs, join(import.meta.dirname, 'server.mjs')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' },
  });
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const line = buffer.split('\n').find((l) => l.startsWith('CRM_BENCH_READY '));
      if (line) resolve({ child, ...JSON.parse(line.slice('CRM_BENCH_READY '.length)) });
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

const require = createRequire(import.meta.url);
const dist = join(ROOT, 'services/crm/dist/src/records');
const { decide, evolve, replay } = require(join(dist, 'domain/crm-record.js'));
const { appendStatement } = require(join(dist, 'infrastructure/postgres-record-store.js'));

async function baselineMoves({ db, workspaceId, dealStages, open, pick }) {
  const pool = new pg.Pool({ connectionString: db, max: 10 });
  const actor = { type: 'system', id: 'bench-baseline', via: { channel: 'system' } };
  const dealIds = [...dealStages.keys()];
  const latencies = [];
  let commands = 0;
  const started = performance.now();
  const deadline = started + DURATION_MS;
  const before = sample({ self: process.pid });
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const id = pick(dealIds);
      const rows = (
        await pool.query(
          `SELECT version, type, payload, occurred_at FROM crm.events
           WHERE aggregate_id = $1 AND workspace_id = $2 AND aggregate_type = 'deal' ORDER BY version`,
          [id, workspaceId],
        )
      ).rows;
      const state = replay(
        'deal',
        id,
        rows.map((r) => ({
          type: r.type,
          payload: r.payload,
          occurredAt: r.occurred_at.toISOString(),
        })),
      );
      const pipeline = (
        await pool.query(
          `SELECT id, stages FROM crm.pipelines WHERE workspace_id = $1 AND id = $2 AND NOT archived`,
          [workspaceId, state.fields.pipelineId],
        )
      ).rows[0];
      const current = state.fields.stageId;
      const next =
        open[
          (open.indexOf(current) + 1 + Math.floor(Math.random() * (open.length - 1))) % open.length
        ];
      const now = new Date().toISOString();
      const decided = decide(
        state,
        { kind: 'move_stage', toStageId: next, origin: 'crm' },
        { now, customFields: [], pipeline },
      );
      const stored = decided.map((e, i) => ({
        ...e,
        workspaceId,
        aggregateType: 'deal',
        aggregateId: id,
        version: state.version + i + 1,
        actor,
        occurredAt: now,
      }));
      const after = stored.reduce((s, e) => evolve(s, e, now), state);
      const { sql, params } = appendStatement(workspaceId, after, stored);
      try {
        await pool.query(sql, params);
        dealStages.set(id, next);
        commands++;
        latencies.push(performance.now() - t0);
      } catch {
        // a version clash with another worker: skipped, like a 409
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, worker));
  const cpu = cpuBetween(before, sample({ self: process.pid }));
  const seconds = (performance.now() - started) / 1000;
  await pool.end();
  const s = stats(latencies);
  return {
    perSecond: commands / seconds,
    p50: s.p50,
    p99: s.p99,
    cpuPerCommandUs: (cpu.cores.self * seconds * 1e6) / Math.max(1, commands),
  };
}

const server = await startServer();
const headers = { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' };
async function call(method, path, body) {
  const started = performance.now();
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  const elapsed = performance.now() - started;
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return { elapsed, body: JSON.parse(text) };
}

const db = new pg.Client({ connectionString: server.databaseUrl });
await db.connect();
try {
  // Setup through the API: a pipeline and 20 owners.
  const pipeline = (
    await call('POST', '/v1/crm/pipelines', {
      name: 'Sales',
      stages: [
        { id: 'qualify', name: 'Qualify', probability: 10 },
        { id: 'proposal', name: 'Proposal', probability: 40 },
        { id: 'demo', name: 'Demo', probability: 60 },
        { id: 'negotiation', name: 'Negotiation', probability: 80 },
        { id: 'won', name: 'Won', kind: 'won' },
        { id: 'lost', name: 'Lost', kind: 'lost' },
      ],
    })
  ).body;
  const ownerIds = [];
  for (let i = 0; i < 20; i++)
    ownerIds.push(
      (
        await call('POST', '/v1/crm/owners', {
          name: `Owner ${i}`,
          email: `owner${i}@bench.example`,
        })
      ).body.id,
    );

  console.log(`seeding ${CONTACTS} contacts and ${DEALS} deals …`);
  const seedStart = performance.now();
  const { dealStages } = await seed(db, {
    workspaceId: server.workspaceId,
    pipeline,
    ownerIds,
    contacts: CONTACTS,
    deals: DEALS,
  });
  const seedSeconds = (performance.now() - seedStart) / 1000;
  console.log(`seeded in ${seedSeconds.toFixed(1)} s`);
  const random = rng(7);
  const pick = (list) => list[Math.floor(random() * list.length)];

  // The list pages measured: filtered + sorted, first page and a deeper page via the cursor.
  const listPath = () =>
    `/v1/crm/contacts?filter.lifecycleStage=customer&filter.ownerId=${pick(ownerIds)}&sort=-updatedAt&limit=50`;
  const dealListPath = () =>
    `/v1/crm/deals?filter.stageId=negotiation&filter.amount.gte=500&sort=-amount&limit=50`;
  const searchPath = () =>
    `/v1/crm/contacts?q=convertible&filter.ownerId=${pick(ownerIds)}&limit=50`;
  // Baseline: the same filtered, sorted page straight from Postgres (no HTTP, Nest, JSON mapping).
  const baselineSql = `SELECT * FROM crm.contacts WHERE workspace_id = $1 AND NOT archived
    AND lifecycle_stage = 'customer' AND owner_id = $2 ORDER BY updated_at DESC, id DESC LIMIT 51`;

  if (flags.explain) {
    const dealSql = `SELECT * FROM crm.deals WHERE workspace_id = $1 AND NOT archived AND stage_id = 'negotiation'
      AND amount >= 500 ORDER BY amount DESC, id DESC LIMIT 51`;
    for (const [sql, params] of [
      [baselineSql, [server.workspaceId, ownerIds[0]]],
      [dealSql, [server.workspaceId]],
    ]) {
      const plan = await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
      console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
  }

  async function measure(label, n, fn) {
    for (let i = 0; i < 30; i++) await fn(); // warm-up
    const latencies = [];
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      await fn();
      latencies.push(performance.now() - started);
    }
    return { label, ...stats(latencies) };
  }
  const reads = [];
  reads.push(
    await measure(
      'contacts: filter lifecycleStage + ownerId, sort -updatedAt (HTTP)',
      LIST_REQUESTS,
      () => call('GET', listPath()),
    ),
  );
  reads.push(
    await measure('  baseline: the same query, raw SQL', LIST_REQUESTS, () =>
      db.query(baselineSql, [server.workspaceId, pick(ownerIds)]),
    ),
  );
  const cursorOf = (await call('GET', listPath())).body.nextCursor;
  reads.push(
    await measure('contacts: second page (cursor)', Math.round(LIST_REQUESTS / 2), () =>
      call('GET', `${listPath()}${cursorOf ? `&cursor=${cursorOf}` : ''}`),
    ),
  );
  reads.push(
    await measure(
      'deals: filter stageId + amount ≥ 500, sort -amount (HTTP)',
      Math.round(LIST_REQUESTS / 2),
      () => call('GET', dealListPath()),
    ),
  );
  reads.push(
    await measure('contacts: full-text q + ownerId (HTTP)', Math.round(LIST_REQUESTS / 2), () =>
      call('GET', searchPath()),
    ),
  );

  // Commands: WRITERS concurrent clients moving deals to another open stage for DURATION_MS,
  // while one client keeps reading the contact list.
  const open = pipeline.stages.filter((s) => s.kind === 'open').map((s) => s.id);
  const dealIds = [...dealStages.keys()];
  const moveLatencies = [];
  const listUnderWrites = [];
  let errors = 0;
  let commands = 0;
  const deadline = performance.now() + DURATION_MS;
  const writer = async () => {
    while (performance.now() < deadline) {
      const id = pick(dealIds);
      const current = dealStages.get(id);
      const next =
        open[(open.indexOf(current) + 1 + Math.floor(random() * (open.length - 1))) % open.length];
      try {
        const { elapsed } = await call('POST', `/v1/crm/deals/${id}/stage`, { stageId: next });
        dealStages.set(id, next);
        moveLatencies.push(elapsed);
        commands++;
      } catch (error) {
        errors++;
        if (errors < 5) console.error(String(error));
      }
    }
  };
  const reader = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      await call('GET', listPath());
      listUnderWrites.push(performance.now() - started);
    }
  };
  const eventsBefore = Number((await db.query('SELECT count(*) AS n FROM crm.events')).rows[0].n);
  const writeStart = performance.now();
  const before = sample({ crm: server.child.pid, loadGenerator: process.pid });
  await Promise.all([
    ...Array.from({ length: WRITERS }, writer),
    ...(process.env.CRM_BENCH_NO_READER ? [] : [reader()]),
  ]);
  const cpu = cpuBetween(before, sample({ crm: server.child.pid, loadGenerator: process.pid }));
  const writeSeconds = (performance.now() - writeStart) / 1000;
  const eventsAfter = Number((await db.query('SELECT count(*) AS n FROM crm.events')).rows[0].n);
  // The outbox drains: every command's event reaches JetStream.
  let outbox = -1;
  const drainStart = performance.now();
  for (let i = 0; i < 600; i++) {
    outbox = Number((await db.query('SELECT count(*) AS n FROM crm.outbox')).rows[0].n);
    if (outbox === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const drainSeconds = (performance.now() - drainStart) / 1000;

  // Baseline: the same stage moves with the service's own domain code and append statement,
  // issued straight from this process over a pool of 10 pg connections (the service's pool
  // size): load events, load pipeline, decide, append. No HTTP, Nest, guards or JSON views.
  const baseline = await baselineMoves({
    db: server.databaseUrl,
    workspaceId: server.workspaceId,
    dealStages,
    open,
    pick,
  });
  const move = stats(moveLatencies);

  const under = stats(listUnderWrites);
  const perSecond = commands / writeSeconds;
  const rev = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
        cwd: ROOT,
        encoding: 'utf8',
      }).trim();
    } catch {
      return 'unknown';
    }
  })();
  const lines = [
    `## CRM — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (commit ${rev}, ${hostname()}, ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)})`,
    '',
    `\`npm run bench:crm -- --contacts=${CONTACTS} --deals=${DEALS} --list-requests=${LIST_REQUESTS} --writers=${WRITERS} --duration=${DURATION_MS / 1000}\``,
    '',
    `Seeded ${CONTACTS.toLocaleString('en')} contacts + ${DEALS.toLocaleString('en')} deals (events + projections, bulk SQL) in ${seedSeconds.toFixed(1)} s.`,
    '',
    '| list page (sequential requests) | n | p50 ms | p90 ms | p99 ms | max ms |',
    '| --- | --- | --- | --- | --- | --- |',
    ...reads.map(
      (r) => `| ${r.label} | ${r.n} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.max)} |`,
    ),
    `| contacts list under ${WRITERS} concurrent writers | ${under.n} | ${ms(under.p50)} | ${ms(under.p90)} | ${ms(under.p99)} | ${ms(under.max)} |`,
    '',
    `HTTP / raw-SQL p99 ratio of the contacts page: ${(reads[0].p99 / reads[1].p99).toFixed(1)}×.`,
    '',
    '| deal stage moves (POST /v1/crm/deals/{id}/stage) | value |',
    '| --- | --- |',
    `| concurrent writers | ${WRITERS} |`,
    `| commands/s | ${perSecond.toFixed(0)} |`,
    `| p50 / p90 / p99 / max ms | ${ms(move.p50)} / ${ms(move.p90)} / ${ms(move.p99)} / ${ms(move.max)} |`,
    `| errors | ${errors} |`,
    `| CRM process CPU (cores) / CPU per command | ${cpu.cores.crm.toFixed(2)} / ${((cpu.cores.crm * writeSeconds * 1e6) / Math.max(1, commands)).toFixed(0)} µs |`,
    `| commands per CRM CPU-second (capacity with a core of its own) | ${(commands / Math.max(1e-9, cpu.cores.crm * writeSeconds)).toFixed(0)} |`,
    `| load generator CPU (cores) / machine busy | ${cpu.cores.loadGenerator.toFixed(2)} / ${(cpu.machineBusy * 100).toFixed(0)} % |`,
    `| events appended (crm.events) | ${eventsAfter - eventsBefore} |`,
    `| baseline (same moves, domain + append statement from a bare pg pool): commands/s | ${baseline.perSecond.toFixed(0)} |`,
    `| baseline p50 / p99 ms; CPU per command (its process) | ${ms(baseline.p50)} / ${ms(baseline.p99)}; ${baseline.cpuPerCommandUs.toFixed(0)} µs |`,
    `| CRM / baseline commands/s | ${(perSecond / baseline.perSecond).toFixed(2)} |`,
    `| outbox drained to JetStream after the phase | ${outbox === 0 ? `yes, in ${drainSeconds.toFixed(1)} s` : `no (${outbox} left)`} |`,
    '',
  ];
  console.log(lines.join('\n'));
  if (flags.record && !flags['no-record'])
    appendFileSync(join(ROOT, 'bench', 'RESULTS.md'), `\n${lines.join('\n')}`);
} finally {
  await db.end();
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.on('exit', resolve));
}
