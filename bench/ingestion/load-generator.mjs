// Closed-loop HTTP load generator (a child process of run.mjs, so its CPU is its own).
// N keep-alive connections each send one `/v1/batch` request at a time: a warm-up, then a
// measured window. Reports to the parent over IPC: {type:'window', phase:'start'|'end'} at the
// window's edges (the parent samples CPU counters then) and {type:'result', ...} at the end.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { batchTemplates, messageIds, MESSAGE_ID_LENGTH } from './events.mjs';

const config = JSON.parse(process.env.BENCH_LOAD ?? '{}');
const {
  url, // http://127.0.0.1:port
  path = '/v1/batch',
  authorization, // full header value or undefined
  connections = 16,
  warmupSeconds = 5,
  durationSeconds = 20,
  batchSize = 100,
} = config;

const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const templates = batchTemplates(64, batchSize);
const nextId = messageIds();

const send = (parent) => process.send?.(parent);

/** One POST; resolves with { status, body? } (body kept only for non-200). */
function post(body) {
  return new Promise((resolve) => {
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(authorization ? { authorization } : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', (error) => resolve({ status: 0, body: String(error) }));
      },
    );
    req.on('error', (error) => resolve({ status: 0, body: error.message }));
    req.end(body);
  });
}

const start = performance.now();
const windowStart = start + warmupSeconds * 1000;
const windowEnd = windowStart + durationSeconds * 1000;
let inWindow = false;
let windowDone = false;

const latencies = []; // ms, requests completed inside the window
const statuses = new Map(); // status -> count (inside the window)
const errorSamples = new Map(); // status -> first body
let acceptedEventsTotal = 0; // every 200 (warm-up + window + drain): what must reach ClickHouse
let requestsTotal = 0;
let firstOkBody;
let cpuAtStart;

function windowTick() {
  const now = performance.now();
  if (!inWindow && !windowDone && now >= windowStart) {
    inWindow = true;
    cpuAtStart = process.cpuUsage();
    send({ type: 'window', phase: 'start' });
  }
  if (inWindow && now >= windowEnd) {
    inWindow = false;
    windowDone = true;
    send({ type: 'window', phase: 'end', cpu: process.cpuUsage(cpuAtStart) });
  }
}
const ticker = setInterval(windowTick, 5);

async function worker() {
  let t = Math.floor(Math.random() * templates.count);
  while (performance.now() < windowEnd) {
    const body = templates.render(t++, nextId, new Date().toISOString());
    const sentAt = performance.now();
    const { status, body: reply } = await post(body);
    const doneAt = performance.now();
    requestsTotal++;
    if (status === 200) {
      acceptedEventsTotal += batchSize;
      firstOkBody ??= reply;
    }
    if (sentAt >= windowStart && doneAt <= windowEnd) {
      latencies.push(doneAt - sentAt);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status !== 200 && !errorSamples.has(status))
        errorSamples.set(status, reply.slice(0, 300));
    }
  }
}

await Promise.all(Array.from({ length: connections }, () => worker()));
windowTick();
clearInterval(ticker);
agent.destroy();

latencies.sort((a, b) => a - b);
const pct = (p) =>
  latencies.length === 0
    ? NaN
    : latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
const ok = statuses.get(200) ?? 0;
send({
  type: 'result',
  connections,
  batchSize,
  durationSeconds,
  warmupSeconds,
  eventBytes: templates.eventBytes(MESSAGE_ID_LENGTH),
  requests: latencies.length,
  okRequests: ok,
  events: ok * batchSize,
  eventsPerSecond: (ok * batchSize) / durationSeconds,
  requestsPerSecond: latencies.length / durationSeconds,
  latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: latencies.at(-1) ?? NaN },
  statuses: Object.fromEntries(statuses),
  errorSamples: Object.fromEntries(errorSamples),
  acceptedEventsTotal,
  requestsTotal,
  firstOkBody: firstOkBody?.slice(0, 300),
});
process.disconnect?.();
