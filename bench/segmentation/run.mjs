#!/usr/bin/env node
// Segmentation benchmark (not a test). See bench/segmentation/README.md.
//   npm run bench:segmentation -- [--profiles=1000000] [--events=20000000] [--rate=5000]
//     [--realtime-seconds=20] [--no-batch] [--no-realtime] [--no-record]
import { appendFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startTestPlatform } from '@cdp/runtime';
import { SUBJECTS } from '@cdp/contracts';
import { loadClickHouseMigrations, runClickHouseMigrations } from '@cdp/persistence';
import { metricsRegistry } from '@cdp/observability';

const ROOT = join(import.meta.dirname, '..', '..');
const dist = (path) => join(ROOT, 'services', 'segmentation', 'dist', 'src', path);
const { segmentationService } = await import(dist('segmentation.service-definition.js'));
const { BatchEvaluator } = await import(dist('segments/application/batch-evaluator.js'));
const { PostgresSegmentStore } = await import(
  dist('segments/infrastructure/postgres-segment.store.js')
);
const { PostgresUnitOfWork } = await import(
  dist('segments/infrastructure/postgres-segmentation.tx.js')
);
const { ClickHouseBehaviorQueries } = await import(
  dist('segments/infrastructure/clickhouse-behavior.queries.js')
);
const { compileBehavior } = await import(
  dist('segments/infrastructure/clickhouse-behavior.compiler.js')
);

const { values: flags } = parseArgs({
  options: {
    profiles: { type: 'string', default: '1000000' },
    events: { type: 'string', default: '20000000' },
    rate: { type: 'string', default: '5000' },
    'realtime-seconds': { type: 'string', default: '20' },
    'batch-size': { type: 'string', default: '100' },
    'no-batch': { type: 'boolean', default: false },
    'no-realtime': { type: 'boolean', default: false },
    'no-record': { type: 'boolean', default: false },
    // The unbounded baseline reads every profile: ~1-2 minutes at 1M on a busy 2-core machine.
    'no-full-baseline': { type: 'boolean', default: false },
  },
  strict: true,
});
const PROFILES = Number(flags.profiles);
const EVENTS = Number(flags.events);
const DAY = 86_400_000;
const log = (...args) => console.log(new Date().toISOString().slice(11, 19), ...args);
const seconds = (ms) => (ms / 1000).toFixed(2);

function percentile(sorted, p) {
  return sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const t = await startTestPlatform([segmentationService], {
  label: 'bench_seg',
  env: { SEGMENTATION_BATCH_INTERVAL_MS: '0', LOG_LEVEL: 'error' },
});
const ws = t.tenant.workspaceId;
const pg = t.platform.infrastructure.services[0].postgres;
const ch = t.platform.infrastructure.clickhouse;
const results = { batch: undefined, realtime: undefined };

try {
  for (const service of ['ingestion', 'identity'])
    await runClickHouseMigrations(ch, {
      service,
      migrations: loadClickHouseMigrations(
        join(ROOT, 'services', service, 'migrations', 'clickhouse'),
      ),
    });

  if (!flags['no-batch']) {
    // ---- data: profiles p<n> (user id u<n>), half on plan "pro"; every 10th has a CRM contact,
    // every 20th a won deal; EVENTS track events over 30 days, 1 in 4 a "Product Viewed".
    const now = Date.now();
    let started = Date.now();
    await ch.command({
      query: `INSERT INTO identity_map (workspace_id, identifier_type, identifier_value, profile_id, version)
              SELECT {ws:String}, 'user_id', concat('u', toString(number)), concat('p', toString(number)), 1
              FROM numbers({n:UInt64})`,
      query_params: { ws, n: PROFILES },
    });
    await ch.command({
      query: `INSERT INTO events (workspace_id, message_id, type, event, name, category, anonymous_id, user_id, group_id,
                previous_id, source_id, write_key_id, timestamp, received_at, properties, traits, context, integrations, raw)
              SELECT {ws:String}, concat('m', toString(number)), 'track',
                ['Product Viewed', 'Page Scrolled', 'Cart Added', 'Search'][number % 4 + 1], '', '', '',
                concat('u', toString(intHash32(number) % {profiles:UInt64})), '', '', 'src', 'wk',
                fromUnixTimestamp64Milli(toInt64({now:Int64} - (intHash64(number) % (30 * 86400000)))),
                fromUnixTimestamp64Milli(toInt64({now:Int64})), '{}', '{}', '{}', '{}',
                concat('{"properties":{"category":"', ['bags', 'shoes', 'hats'][number % 3 + 1], '"}}')
              FROM numbers({n:UInt64})`,
      query_params: { ws, n: EVENTS, profiles: PROFILES, now },
      clickhouse_settings: { max_insert_threads: 2 },
    });
    log(
      `ClickHouse: ${PROFILES} identity_map rows, ${EVENTS} events in ${seconds(Date.now() - started)} s`,
    );
    started = Date.now();
    await pg.query(
      `INSERT INTO segmentation.profiles (workspace_id, profile_id, traits)
       SELECT $1, 'p' || n, jsonb_build_object('plan', CASE WHEN n % 2 = 0 THEN 'pro' ELSE 'free' END)
       FROM generate_series(0, $2 - 1) AS n`,
      [ws, PROFILES],
    );
    await pg.query(
      `INSERT INTO segmentation.crm_contacts (workspace_id, contact_id, profile_id)
       SELECT $1, 'c' || n, 'p' || n FROM generate_series(0, $2 - 1, 10) AS n`,
      [ws, PROFILES],
    );
    await pg.query(
      `INSERT INTO segmentation.crm_deals (workspace_id, deal_id, stage_id, stage_kind, pipeline_id, contact_ids)
       SELECT $1, 'd' || n, CASE WHEN n % 20 = 0 THEN 'won' ELSE 'proposal' END,
              CASE WHEN n % 20 = 0 THEN 'won' ELSE 'open' END, 'sales', ARRAY['c' || n]
       FROM generate_series(0, $2 - 1, 10) AS n`,
      [ws, PROFILES],
    );
    await pg.query(
      `INSERT INTO segmentation.crm_deal_contacts (workspace_id, contact_id, deal_id)
       SELECT $1, 'c' || n, 'd' || n FROM generate_series(0, $2 - 1, 10) AS n`,
      [ws, PROFILES],
    );
    await pg.query('ANALYZE');
    log(
      `Postgres: ${PROFILES} profiles, ${PROFILES / 10} contacts and deals in ${seconds(Date.now() - started)} s`,
    );

    const definition = {
      condition: {
        type: 'and',
        conditions: [
          { type: 'trait', key: 'plan', operator: 'equals', value: 'pro' },
          {
            type: 'event',
            event: 'Product Viewed',
            where: [{ property: 'category', operator: 'equals', value: 'bags' }],
            count: { operator: 'at_least', value: 2 },
            window: { type: 'last', duration: '7d' },
          },
          { type: 'deal', stageKind: 'won' },
        ],
      },
    };
    const store = new PostgresSegmentStore(pg);
    const segment = await store.create({
      workspaceId: ws,
      id: 'bench',
      name: 'bench',
      description: '',
      definition,
      refs: [],
    });
    const behavior = new ClickHouseBehaviorQueries(ch);
    const uow = new PostgresUnitOfWork(pg);
    const clock = { now: () => now };

    // Baseline 1: the behavioral query alone (ClickHouse scan of every event + identity_map join).
    started = Date.now();
    const compiled = compileBehavior(definition.condition.conditions[1], ws, now);
    const rows = await (
      await ch.query({
        query: compiled.sql,
        query_params: compiled.params,
        format: 'JSONCompactEachRow',
      })
    ).json();
    const behavioralMs = Date.now() - started;
    log(`behavioral query alone: ${rows.length} profiles in ${seconds(behavioralMs)} s`);

    // The batch evaluation under test (candidate bounding on), then baseline 2: every profile read.
    const bounded = await new BatchEvaluator(
      store,
      store,
      behavior,
      uow,
      clock,
      true,
    ).evaluateSegment(segment);
    log(
      `batch evaluation: ${bounded.members} members, ${bounded.evaluatedProfiles} profiles read, ` +
        `${seconds(bounded.durationMs)} s (phases ms: ${JSON.stringify(bounded.phasesMs)})`,
    );
    let fullMs;
    if (!flags['no-full-baseline']) {
      const fullPreviewStart = Date.now();
      const full = await new BatchEvaluator(store, store, behavior, uow, clock, false).preview(
        ws,
        definition,
      );
      fullMs = Date.now() - fullPreviewStart;
      log(
        `every profile read (no bounding, no writes): ${full.size} members, ${full.evaluatedProfiles} read, ${seconds(fullMs)} s`,
      );
      if (full.size !== bounded.members)
        throw new Error(`bounded (${bounded.members}) and full (${full.size}) disagree`);
    }
    results.batch = {
      profiles: PROFILES,
      events: EVENTS,
      members: bounded.members,
      read: bounded.evaluatedProfiles,
      ms: bounded.durationMs,
      phases: bounded.phasesMs,
      behavioralMs,
      fullMs,
    };
  }

  if (!flags['no-realtime']) {
    // ---- real time: a segment "Checkout in the last day"; each published event is a new
    // person's first checkout, so each must enter; latency = MembershipChanged received − published.
    const response = await t.api('/v1/segments', {
      method: 'POST',
      body: JSON.stringify({
        name: 'checkout today',
        definition: {
          condition: { type: 'event', event: 'Checkout', window: { type: 'last', duration: '1d' } },
        },
      }),
    });
    if (response.status !== 200 && response.status !== 201)
      throw new Error(`create: ${response.status} ${await response.text()}`);
    const segmentId = (await response.json()).id;
    const nats = t.platform.infrastructure.nats;
    const prefix = `${t.namespace}.`;
    const publishedAt = new Map();
    const latencies = [];
    const sub = nats.subscribe(`${prefix}${SUBJECTS.membershipChanged}.>`);
    void (async () => {
      for await (const m of sub) {
        const body = m.json();
        if (body.segmentId !== segmentId) continue;
        const at = Date.now();
        for (const c of body.changes) {
          const sent = publishedAt.get(c.profileId);
          if (sent !== undefined && c.transition === 'MEMBERSHIP_TRANSITION_ENTERED')
            latencies.push(at - sent);
        }
      }
    })();
    await nats.flush();
    const batchSize = Number(flags['batch-size']);
    const rate = Number(flags.rate);
    const durationMs = Number(flags['realtime-seconds']) * 1000;
    const messagesPerSecond = rate / batchSize;
    const startedAt = Date.now();
    let sent = 0;
    let n = 0;
    while (Date.now() - startedAt < durationMs) {
      const due = Math.floor(((Date.now() - startedAt) / 1000) * messagesPerSecond);
      while (sent < due) {
        const items = [];
        const at = Date.now();
        for (let i = 0; i < batchSize; i++, n++) {
          const profileId = `rt-${n}`;
          publishedAt.set(profileId, at);
          items.push({
            type: 'track',
            messageId: `rt-m${n}`,
            userId: `rt-u${n}`,
            event: 'Checkout',
            properties: {},
            timestamp: new Date(at).toISOString(),
            profileId,
          });
        }
        void t.platform.infrastructure.publisher.publish(
          `${SUBJECTS.eventResolved}.${ws}.${sent % 8}`,
          { items },
          {
            messageId: `bench-rt-${sent}`,
            workspaceId: ws,
            schema: 'cdp.identity.v1.ResolvedEventBatch',
          },
        );
        sent++;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const deadline = Date.now() + 60_000;
    while (latencies.length < n && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const sorted = [...latencies].sort((a, b) => a - b);
    results.realtime = {
      rate,
      seconds: durationMs / 1000,
      events: n,
      entered: latencies.length,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1],
    };
    const metric =
      (await metricsRegistry.getSingleMetric('segmentation_input_duration_seconds')?.get())
        ?.values ?? [];
    const sum =
      metric.find((v) => v.metricName?.endsWith('_sum') && v.labels.input === 'resolved_events')
        ?.value ?? 0;
    const count =
      metric.find((v) => v.metricName?.endsWith('_count') && v.labels.input === 'resolved_events')
        ?.value ?? 0;
    results.realtime.handlerMs = count ? Math.round((sum / count) * 1000) : NaN;
    log(`handler: ${count} messages, mean ${results.realtime.handlerMs} ms each`);
    log(
      `real time: ${n} events at ${rate}/s, ${latencies.length} entries; latency p50 ${results.realtime.p50} ms, p90 ${results.realtime.p90} ms, p99 ${results.realtime.p99} ms, max ${results.realtime.max} ms`,
    );
  }
} finally {
  await t.close();
}

if (!flags['no-record']) {
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT })
    .toString()
    .trim();
  const lines = [
    `\n### Run ${new Date().toISOString()} (commit ${commit}, ${cpus().length} cores, ${hostname()})\n`,
  ];
  lines.push(`Command: \`npm run bench:segmentation -- ${process.argv.slice(2).join(' ')}\`\n`);
  if (results.batch) {
    const b = results.batch;
    lines.push(
      `- Batch, 3-condition segment over ${b.profiles.toLocaleString('en')} profiles / ${b.events.toLocaleString('en')} events: **${seconds(b.ms)} s** ` +
        `(${b.members} members, ${b.read} profiles read). Baselines in the same run: the behavioral ClickHouse query alone ${seconds(b.behavioralMs)} s ` +
        `(the evaluation takes ${(b.ms / b.behavioralMs).toFixed(2)}× of it; phases ms ${JSON.stringify(b.phases)})` +
        (b.fullMs === undefined
          ? '.'
          : `; reading every profile instead of the bounded candidates ${seconds(b.fullMs)} s (bounding is ${(b.fullMs / b.ms).toFixed(1)}× faster).`),
    );
  }
  if (results.realtime) {
    const r = results.realtime;
    lines.push(
      `- Real time, ${r.rate} events/s for ${r.seconds} s (${r.events} events, ${r.entered} entries): entry latency p50 ${r.p50} ms, p90 ${r.p90} ms, **p99 ${r.p99} ms**, max ${r.max} ms; handler mean ${r.handlerMs} ms per 100-event message.`,
    );
  }
  appendFileSync(join(ROOT, 'bench', 'RESULTS.md'), `${lines.join('\n')}\n`);
}
process.exit(0);
