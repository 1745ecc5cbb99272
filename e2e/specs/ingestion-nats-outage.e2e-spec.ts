import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  createSandbox,
  MONOLITH_ENTRY,
  startProcess,
  type RunningProcess,
  type Sandbox,
} from '../support/platform';
import {
  basicAuth,
  bootstrapWorkspace,
  createSource,
  queryClickHouse,
  sleep,
  waitForWriterDrained,
  type CollectionSource,
  type Workspace,
} from '../support/ingestion';
import { startDedicatedNats, type DedicatedNats } from '../support/nats-server';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** The load: a few clients sending /v1/batch with unique messageIds, retrying like an SDK. */
const CLIENTS = 4;
const EVENTS_PER_BATCH = 20;
const LOAD_MS = 18_000;
const KILL_AT_MS = 5_000;
const RESTART_AT_MS = 9_000;
const REQUEST_TIMEOUT_MS = 8_000;
/** An SDK backs off before it retries; we cap the wait to keep the load sustained. */
const MAX_RETRY_WAIT_MS = 300;

interface Attempt {
  readonly client: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** HTTP status, or 0 when the request failed without an answer (reset, timeout). */
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: string;
}

interface LoadResult {
  readonly attempts: Attempt[];
  /** messageIds of batches answered 200: each must be stored exactly once. */
  readonly acknowledged: Set<string>;
  /** messageIds sent but never answered 200 (the load ended while retrying them). */
  readonly unacknowledged: Set<string>;
}

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function runLoad(
  url: string,
  source: CollectionSource,
  startedAt: number,
  stopAt: number,
): Promise<LoadResult> {
  const attempts: Attempt[] = [];
  const acknowledged = new Set<string>();
  const unacknowledged = new Set<string>();

  async function client(index: number): Promise<void> {
    let seq = 0;
    let batch: { ids: string[]; body: string } | undefined;
    while (Date.now() < stopAt) {
      if (batch === undefined) {
        const ids = Array.from(
          { length: EVENTS_PER_BATCH },
          (_, i) => `outage-${index}-${seq}-${i}-${startedAt}`,
        );
        seq++;
        const sentAt = new Date().toISOString();
        batch = {
          ids,
          body: JSON.stringify({
            sentAt,
            batch: ids.map((messageId, i) => ({
              type: 'track',
              messageId,
              anonymousId: `visitor-${index}-${i % 5}`,
              event: 'Load Tested',
              properties: { client: index, seq, i },
              timestamp: sentAt,
            })),
          }),
        };
      }
      const began = Date.now();
      let status = 0;
      let retryAfter: string | null = null;
      let body = '';
      try {
        const response = await fetch(`${url}/v1/batch`, {
          method: 'POST',
          headers: {
            authorization: basicAuth(source.writeKey),
            'content-type': 'application/json',
          },
          body: batch.body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        body = await response.text();
      } catch (error) {
        body = String(error);
      }
      attempts.push({
        client: index,
        startedAt: began - startedAt,
        endedAt: Date.now() - startedAt,
        status,
        retryAfter,
        body: body.slice(0, 300),
      });
      if (status === 200) {
        batch.ids.forEach((id) => acknowledged.add(id));
        batch = undefined;
        continue;
      }
      // 503/429, a reset or a timeout: retry the same batch (same messageIds) after a pause.
      const hinted = Number(retryAfter ?? '0') * 1000;
      await sleep(Math.min(Math.max(hinted, 50), MAX_RETRY_WAIT_MS));
    }
    batch?.ids.forEach((id) => unacknowledged.add(id));
  }

  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  return { attempts, acknowledged, unacknowledged };
}

/**
 * Acks the writer sent while NATS was down are lost with the connection, and JetStream
 * redelivers those messages only when the consumer's AckWait (60 s) runs out. Instead of
 * sleeping a minute, fast-forward that clock: once nothing is pending but deliveries are still
 * unacknowledged, shorten AckWait so the server redelivers them now (to the running writer,
 * which must not insert them twice), then put it back. Returns how many were outstanding.
 */
async function expireLostAcks(natsUrl: string, stream: string): Promise<number> {
  const nc = await connect({ servers: natsUrl.replace(/^nats:\/\//, ''), reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const consumers = [];
      for await (const c of jsm.consumers.list(stream)) consumers.push(c);
      if (consumers.length > 0 && consumers.every((c) => c.num_pending === 0)) {
        const stuck = consumers.filter((c) => c.num_ack_pending > 0);
        if (stuck.length === 0) return 0;
        // Give in-flight flushes a moment to ack on their own before calling the acks lost.
        await sleep(3_000);
        const outstanding = [];
        for (const c of stuck) {
          const info = await jsm.consumers.info(stream, c.name);
          if (info.num_ack_pending > 0) outstanding.push(info);
        }
        for (const c of outstanding) {
          await jsm.consumers.update(stream, c.name, { ack_wait: 1_000_000_000 });
          await sleep(1_500);
          await jsm.consumers.update(stream, c.name, { ack_wait: c.config.ack_wait });
        }
        return outstanding.reduce((n, c) => n + c.num_ack_pending, 0);
      }
      await sleep(200);
    }
    throw new Error(`consumers of ${stream} still have pending messages 20 s after the load`);
  } finally {
    await nc.close();
  }
}

describe('NATS killed and restarted under load', () => {
  let nats: DedicatedNats;
  let sandbox: Sandbox;
  let platform: RunningProcess;
  let workspace: Workspace;
  let source: CollectionSource;

  before(async () => {
    nats = await startDedicatedNats();
    const base = createSandbox('outage');
    // The platform talks to this test's own nats-server, never to the machine's shared one.
    sandbox = { ...base, env: { ...base.env, NATS_URL: nats.url } };
    platform = await startProcess(MONOLITH_ENTRY, sandbox, { args: ['--services=ingestion'] });
    workspace = await bootstrapWorkspace(sandbox, 'outage');
    source = await createSource(platform.url, workspace.key, 'load', 'server');
  });
  after(async () => {
    await platform?.process.stop('SIGKILL');
    await nats?.dispose();
    await sandbox?.cleanup();
  });

  test('every event answered 200 is in ClickHouse exactly once; the outage answered 503', async (t: TestContext) => {
    const startedAt = Date.now();
    let peakRssMb = rssMb(platform.process.child.pid);
    const sampler = setInterval(() => {
      peakRssMb = Math.max(peakRssMb, rssMb(platform.process.child.pid));
    }, 250);
    const chaos = (async () => {
      await sleep(KILL_AT_MS);
      await nats.kill();
      const killedAt = Date.now() - startedAt;
      await sleep(RESTART_AT_MS - killedAt);
      await nats.start();
      return { killedAt, restartedAt: Date.now() - startedAt };
    })();
    const [load, { killedAt, restartedAt }] = await Promise.all([
      runLoad(platform.url, source, startedAt, startedAt + LOAD_MS),
      chaos,
    ]);
    clearInterval(sampler);

    const { attempts, acknowledged, unacknowledged } = load;
    const byStatus = new Map<number, number>();
    for (const a of attempts) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
    const summary = `killed at ${killedAt} ms, restarted at ${restartedAt} ms; attempts by status: ${JSON.stringify(
      Object.fromEntries(byStatus),
    )}; acknowledged events ${acknowledged.size}, unacknowledged ${unacknowledged.size}; peak RSS ${peakRssMb.toFixed(0)} MB`;
    t.diagnostic(summary);

    // Only 200, 503 (and transport failures while a request was cut) — never another 5xx or 4xx.
    const unexpected = attempts.filter(
      (a) => a.status !== 200 && a.status !== 503 && a.status !== 0,
    );
    assert.deepEqual(unexpected, [], summary);
    const ok = attempts.filter((a) => a.status === 200);
    assert.ok(
      ok.some((a) => a.endedAt < killedAt),
      `events were accepted before the kill: ${summary}`,
    );
    assert.ok(
      ok.some((a) => a.startedAt > restartedAt),
      `the service recovered by itself after NATS came back: ${summary}`,
    );
    // While NATS was down, nothing could be stored: no request made and answered entirely
    // inside the outage got a 200, and the outage was answered 503 with Retry-After.
    const insideOutage = attempts.filter(
      (a) => a.startedAt > killedAt + 50 && a.endedAt < restartedAt,
    );
    assert.deepEqual(
      insideOutage.filter((a) => a.status === 200),
      [],
      `200 while NATS was down: ${summary}`,
    );
    const unavailable = attempts.filter((a) => a.status === 503);
    const latencies = unavailable.map((a) => a.endedAt - a.startedAt).sort((x, y) => x - y);
    t.diagnostic(
      `503s answered ${unavailable[0]?.endedAt ?? '-'}..${unavailable.at(-1)?.endedAt ?? '-'} ms, in ${latencies[0] ?? '-'}..${latencies.at(-1) ?? '-'} ms each; Retry-After ${[...new Set(unavailable.map((a) => a.retryAfter))].join(',')}`,
    );
    assert.ok(unavailable.length > 0, `the outage was answered 503: ${summary}`);
    for (const a of unavailable) {
      assert.ok(
        a.retryAfter && Number(a.retryAfter) > 0,
        `503 with Retry-After: ${JSON.stringify(a)}`,
      );
      assert.match(a.body, /"error":\{"code":"[^"]+"/, 'machine-readable 503 body');
    }
    const failedRequests = attempts.filter((a) => a.status === 0);
    assert.ok(
      failedRequests.length <= CLIENTS * 2,
      `requests without any answer stay rare (${failedRequests.length}): ${JSON.stringify(failedRequests.slice(0, 3))}`,
    );

    // Let the writer drain (it acks only stored rows), then stop the platform and count.
    const drainStarted = Date.now();
    const lostAcks = await expireLostAcks(nats.url, `${sandbox.env.NATS_NAMESPACE ?? ''}_EVENTS`);
    t.diagnostic(`${lostAcks} deliveries had lost their ack and were redelivered`);
    const drained = await waitForWriterDrained(sandbox, {
      natsUrl: nats.url,
      platform: platform.process,
      timeoutMs: 30_000,
    });
    t.diagnostic(
      `writer drained ${Date.now() - drainStarted} ms after the load (${drained.messages} stream messages)`,
    );
    const stopped = await platform.process.stop('SIGTERM');
    assert.equal(stopped.code, 0, platform.process.output().slice(-3000));

    // The writer's documented semantics (migrations 0001/0002): each messageId once per
    // workspace, plain SELECT without FINAL.
    const rows = await queryClickHouse<{ message_id: string; copies: number }>(
      sandbox,
      `SELECT message_id, count() AS copies FROM events
        WHERE workspace_id = {workspace:String} GROUP BY message_id`,
      { workspace: workspace.workspaceId },
    );
    const copies = new Map(rows.map((r) => [r.message_id, Number(r.copies)]));
    const missing = [...acknowledged].filter((id) => !copies.has(id));
    const duplicated = rows.filter((r) => Number(r.copies) !== 1);
    const stranger = rows.filter(
      (r) => !acknowledged.has(r.message_id) && !unacknowledged.has(r.message_id),
    );
    t.diagnostic(
      `stored ${rows.length} distinct messageIds (${rows.reduce((n, r) => n + Number(r.copies), 0)} rows); acknowledged ${acknowledged.size}; of the unacknowledged, ${[...unacknowledged].filter((id) => copies.has(id)).length} stored`,
    );
    assert.deepEqual(
      missing.slice(0, 10),
      [],
      `${missing.length} acknowledged events missing: ${summary}`,
    );
    assert.deepEqual(
      duplicated.slice(0, 10),
      [],
      `${duplicated.length} messageIds stored more than once`,
    );
    assert.deepEqual(stranger, [], 'nothing stored that was never sent');
  });
});
