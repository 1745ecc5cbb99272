// The benchmark's table (stdout) and its record in bench/RESULTS.md (newest run first).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './processes.mjs';

const RESULTS = join(ROOT, 'bench/RESULTS.md');
const MARKER = '<!-- ingestion runs: newest first (written by bench/ingestion/run.mjs) -->';
const TARGET_EVENTS_PER_SECOND = 50_000;
const TARGET_RATIO = 0.7;

const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const cores = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const pct = (x) => (Number.isFinite(x) ? `${Math.round(x * 100)} %` : 'n/a');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);

function nonOk(r) {
  const bad = Object.entries(r.statuses).filter(([status]) => status !== '200');
  return bad.length === 0
    ? '0'
    : bad.map(([s, n]) => `${n}× ${s === '0' ? 'network error' : s}`).join(', ');
}

function row(label, r) {
  return `| ${label} | ${int(r.eventsPerSecond)} | ${int(r.requestsPerSecond)} | ${ms(r.latencyMs.p50)} | ${ms(r.latencyMs.p90)} | ${ms(r.latencyMs.p99)} | ${nonOk(r)} | ${cores(r.serverCores)} | ${cores(r.natsCores)} | ${cores(r.generatorCores)} | ${cores(r.otherCores)} | ${pct(r.machineBusy)} |`;
}

/** Markdown for one run (also what is printed to stdout). */
export function renderReport(results) {
  const { baseline: b, ingestion: i, writer: w, config: c, machine: m } = results;
  const lines = [
    `## Ingestion — ${results.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- Command: \`${results.command}\``,
    `- Commit: ${results.commit}`,
    `- Machine: ${m.nproc} × ${m.cpu}, Node ${m.node}; NATS and Postgres local on the same machine`,
    `- Load: ${c.connections} keep-alive connections, closed loop, ${c.warmup} s warm-up then ${c.duration} s measured; \`POST /v1/batch\` with ${c.batchSize} Segment track events per request (~${(b ?? i)?.eventBytes ?? '?'} bytes each, unique messageIds)`,
    `- The load generator, the server under test and nats-server share the ${m.nproc} cores (nothing pinned): the CPU columns show who used what during the measured window (1.00 = one core); "other processes" is everything else running on the machine meanwhile (noise).`,
  ];
  if (results.quietBefore) {
    lines.push(
      `- Machine busy in the second before each measurement (the runner waits up to --quiet-wait for < 15 %): ${Object.entries(
        results.quietBefore,
      )
        .map(([k, v]) => `${k} ${pct(v)}`)
        .join(', ')}`,
    );
  }
  lines.push('');
  if (b || i) {
    lines.push(
      '| system | events/s | requests/s | p50 ms | p90 ms | p99 ms | non-200 | server CPU | nats-server CPU | generator CPU | other processes CPU | machine busy |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    if (b) lines.push(row('bare baseline (node:http + JetStream)', b));
    if (i) lines.push(row('ingestion (`INGESTION_ROLES=api`)', i));
    lines.push('');
    if (c.rounds > 1) {
      lines.push(
        `Median of ${c.rounds} alternating rounds (baseline, ingestion, baseline, ...). Every round:`,
        '',
        '| round | system | events/s | p50 ms | p99 ms | non-200 | server CPU | other processes CPU |',
        '| --- | --- | --- | --- | --- | --- | --- | --- |',
      );
      for (let k = 0; k < c.rounds; k++) {
        for (const r of [b?.rounds?.[k], i?.rounds?.[k]].filter(Boolean)) {
          lines.push(
            `| ${k + 1} | ${r.name} | ${int(r.eventsPerSecond)} | ${ms(r.latencyMs.p50)} | ${ms(r.latencyMs.p99)} | ${nonOk(r)} | ${cores(r.serverCores)} | ${cores(r.otherCores)} |`,
          );
        }
      }
      lines.push('');
    }
  }
  if (b && i) {
    const r = ratio(i.eventsPerSecond, b.eventsPerSecond);
    const perCore = ratio(i.eventsPerSecond / i.serverCores, b.eventsPerSecond / b.serverCores);
    const okTarget = i.eventsPerSecond >= TARGET_EVENTS_PER_SECOND;
    const paired = (i.rounds ?? [])
      .map((ri, k) => ratio(ri.eventsPerSecond, b.rounds?.[k]?.eventsPerSecond))
      .filter(Number.isFinite);
    const okRatio = r >= TARGET_RATIO;
    lines.push(
      `- Ratio ingestion / baseline: **${r.toFixed(2)}** in events/s (target ≥ ${TARGET_RATIO}: ${okRatio ? 'met' : 'MISSED'}); ${perCore.toFixed(2)} in events per server CPU-second; p99 ${ms(i.latencyMs.p99)} ms vs ${ms(b.latencyMs.p99)} ms.`,
      `- Ingestion events/s: ${int(i.eventsPerSecond)} (target ≥ ${int(TARGET_EVENTS_PER_SECOND)}: ${okTarget ? 'met' : 'MISSED'}).`,
    );
    if (paired.length > 1) {
      lines.push(
        `- Per-round ratios (each ingestion round over the baseline round just before it): ${paired.map((x) => x.toFixed(2)).join(', ')}.`,
      );
    }
    if (c.nodeArgs?.length)
      lines.push(`- Platform processes started with \`node ${c.nodeArgs.join(' ')}\`.`);
    if (c.platformEnv && Object.keys(c.platformEnv).length)
      lines.push(
        `- Platform env overrides: ${Object.entries(c.platformEnv)
          .map(([k, v]) => `\`${k}=${v}\``)
          .join(', ')}.`,
      );
    if (c.apiNodeArgs?.length)
      lines.push(
        `- Ingestion process started as production runs it: \`node ${c.apiNodeArgs.join(' ')}\` (NODE_OPTIONS of \`services.ingestion\` in charts/cdp/values.yaml${c.nodeArgs?.length ? ' + --node-args' : ''}).`,
      );
    if (c.rateLimit)
      lines.push(
        `- \`INGEST_RATE_LIMIT_PER_SECOND=${c.rateLimit}\` for the run (the default 20,000/s per workspace would answer 429 first).`,
      );
    lines.push('');
  }
  if (i?.firstOkBody !== undefined && i.statuses['200'])
    lines.push(`- First 200 body from ingestion: \`${i.firstOkBody}\``, '');
  for (const r of [b, i].filter(Boolean)) {
    for (const [status, body] of Object.entries(r.errorSamples)) {
      lines.push(`- ${r.name} ${status}: \`${body.replace(/`/g, "'")}\``);
    }
  }
  if (w) {
    const counted = w.rows === w.expectedEvents && w.uniqueIds === w.expectedEvents;
    lines.push(
      '',
      '| event writer (`INGESTION_ROLES=writer`, embedded ClickHouse) | value |',
      '| --- | --- |',
      `| rows/s (first delivery → nothing pending or unacked) | **${int(w.rowsPerSecond)}** |`,
      `| events drained | ${int(w.expectedEvents)} (${w.source === 'http-run' ? 'everything the HTTP run got a 200 for' : 'pre-filled with the messaging lib'}) in ${int(w.streamMessages)} JetStream messages, ${int(w.streamBytes / 1e6)} MB |`,
      w.timedOut
        ? `| drain time | TIMED OUT: consumer \`${w.consumer ?? 'none'}\` at ack floor ${w.lastConsumerState?.ack_floor ?? 'n/a'} of stream seq ${w.lastConsumerState?.last_seq ?? 'n/a'}, ${w.lastConsumerState?.num_pending ?? 'n/a'} pending, ${w.lastConsumerState?.num_ack_pending ?? 'n/a'} unacked (see the writer's log) |`
        : `| drain time | ${w.seconds.toFixed(1)} s (+ ${w.startupSeconds.toFixed(1)} s process start before the first delivery) |`,
      `| rows in \`events\` after the run / distinct messageIds | ${int(w.rows)} / ${int(w.uniqueIds)} — ${counted ? 'match' : 'MISMATCH'} |`,
      `| CPU during the drain: writer / nats-server / other processes | ${cores(w.writerCores)} / ${cores(w.natsCores)} / ${cores(w.otherCores)} cores (machine ${pct(w.machineBusy)} busy) |`,
      `| dead-lettered messages | ${w.deadLetters} |`,
      ...(w.flushes && Number.isFinite(w.flushes.count)
        ? [
            `| flushes (writer's /metrics) | ${int(w.flushes.count)}, mean ${int(w.flushes.meanRows)} rows and ${ms(w.flushes.meanSeconds * 1000)} ms each |`,
          ]
        : []),
    );
  }
  if (w?.profile) {
    const p = w.profile.summary;
    lines.push(
      '',
      `CPU profile of the writer during the drain (${(p.busyMs / 1000).toFixed(1)} s busy, ${(p.idleMs / 1000).toFixed(1)} s idle). Self time:`,
      '',
      ...p.functions.slice(0, 10).map((f) => `- ${(f.share * 100).toFixed(1)} % \`${f.name}\``),
    );
  }
  if (results.profile) {
    const p = results.profile.summary;
    lines.push(
      '',
      `CPU profile of the ingestion process during the measured window(s) (\`--cpu-prof\`; ${(p.busyMs / 1000).toFixed(1)} s busy), shares of its busy time. Self time:`,
      '',
      ...p.functions.slice(0, 12).map((f) => `- ${(f.share * 100).toFixed(1)} % \`${f.name}\``),
      '',
      "Inclusive time of the project's functions:",
      '',
      ...p.inclusive.slice(0, 10).map((f) => `- ${(f.share * 100).toFixed(1)} % \`${f.name}\``),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Inserts the run at the top of the ingestion runs in bench/RESULTS.md, prettier-formatted. */
export async function recordResults(results) {
  let text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  if (!text.includes(MARKER)) text = `${text.trimEnd()}\n\n${MARKER}\n`;
  text = text.replace(MARKER, `${MARKER}\n\n${renderReport(results)}`);
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(RESULTS)) ?? {};
    text = await prettier.format(text, { ...options, parser: 'markdown' });
  } catch {
    // unformatted is still correct
  }
  writeFileSync(RESULTS, text);
  return RESULTS;
}
