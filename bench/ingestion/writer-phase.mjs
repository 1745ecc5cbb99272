// The event writer's throughput: an ingestion process with INGESTION_ROLES=writer drains a
// pre-filled EVENTS stream into embedded ClickHouse. Timed from the consumer's first delivery
// until nothing is pending or unacked; then the process is stopped and the rows are counted.
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, EventPublisher } from '@cdp/messaging';
import { STREAMS, SUBJECTS } from '@cdp/contracts';
import { createClickHouseClient } from '@cdp/persistence';
import { messageIds, trackEvent } from './events.mjs';
import { startPlatform, stop } from './processes.mjs';
import { machineCpu, processCpuSeconds } from './proc-stat.mjs';

/**
 * Publishes `events` accepted events (AcceptedEvent JSON, `{items}` batches of `batchSize`) to
 * the namespace's EVENTS stream with the messaging lib, as the collection API would.
 */
export async function prefill({ natsUrl, namespace, workspaceId, events, batchSize, partitions }) {
  const nc = await connectNats({ url: natsUrl, name: 'bench-prefill' });
  const publisher = new EventPublisher(nc, namespace);
  const nextId = messageIds();
  const now = new Date().toISOString();
  const batches = Math.ceil(events / batchSize);
  let next = 0;
  let n = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < batches) {
      const b = next++;
      const items = [];
      for (let i = 0; i < batchSize && b * batchSize + i < events; i++) {
        const e = trackEvent(n++, now, nextId());
        items.push({
          ...e,
          workspaceId,
          sourceId: 'bench-source',
          writeKeyId: 'bench-key',
          receivedAt: now,
        });
      }
      await publisher.publish(
        `${SUBJECTS.eventAccepted}.${workspaceId}.${b % partitions}`,
        { items },
        {
          messageId: `prefill-${items[0].messageId}`,
          workspaceId,
          schema: 'cdp.ingestion.v1.EventBatch',
        },
      );
    }
  };
  await Promise.all(Array.from({ length: 32 }, lane));
  await nc.drain();
  return { events, batches, seconds: (performance.now() - t0) / 1000 };
}

export async function runWriterPhase({
  natsUrl,
  namespace,
  env,
  chdbDir,
  logFile,
  expectedEvents,
  timeoutMs,
  natsPid,
  nodeArgs = [],
}) {
  const nc = await connectNats({ url: natsUrl, name: 'bench-writer-probe' });
  const jsm = await jetstreamManager(nc);
  const stream = namespace.stream(STREAMS.ingestion.name);
  const info = await jsm.streams.info(stream);
  const lastSeq = info.state.last_seq;
  const streamMessages = info.state.messages;
  const streamBytes = info.state.bytes;

  const spawnedAt = performance.now();
  let firstDeliveryAt;
  let doneAt;
  let consumer;
  let cpuAtFirst;
  let natsAtFirst;
  let machineAtFirst;
  let monoAtFirst;
  let last;
  let pid;
  const startup = startPlatform({
    env: { ...env, INGESTION_ROLES: 'writer', CLICKHOUSE_URL: `chdb://${chdbDir}` },
    logFile,
    nodeArgs,
    onSpawn: (p) => (pid = p),
  });
  let startupError;
  startup.catch((error) => (startupError = error));

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    if (startupError) throw new Error(`writer failed to start: ${startupError.message}`);
    if (consumer === undefined) {
      for await (const c of jsm.consumers.list(stream)) consumer = c.name;
      if (consumer === undefined) continue;
    }
    const ci = await jsm.consumers.info(stream, consumer).catch(() => undefined);
    if (!ci) continue;
    last = ci;
    if (firstDeliveryAt === undefined && ci.delivered.stream_seq > 0) {
      firstDeliveryAt = performance.now();
      cpuAtFirst = pid === undefined ? NaN : processCpuSeconds(pid);
      natsAtFirst = natsPid === undefined ? NaN : processCpuSeconds(natsPid);
      machineAtFirst = machineCpu();
      monoAtFirst = Number(process.hrtime.bigint() / 1000n);
    }
    if (ci.num_pending === 0 && ci.num_ack_pending === 0 && ci.ack_floor.stream_seq >= lastSeq) {
      doneAt = performance.now();
      break;
    }
  }
  const cpuAtDone = pid === undefined ? NaN : processCpuSeconds(pid);
  const natsAtDone = natsPid === undefined ? NaN : processCpuSeconds(natsPid);
  const machineAtDone = machineCpu();
  const monoAtDone = Number(process.hrtime.bigint() / 1000n);
  const writer = await startup.catch((error) => {
    throw new Error(`writer failed to start: ${error.message}`);
  });
  let deadLetters = 0;
  try {
    deadLetters = (await jsm.streams.info(namespace.stream(STREAMS.deadletter.name))).state
      .messages;
  } catch {
    // no dead-letter stream: nothing dead-lettered
  }
  await nc.close();
  // The writer's own view (flush count, duration and size) before it stops.
  let flushes;
  try {
    const text = await (await fetch(`${writer.url}/metrics`)).text();
    const value = (name) => {
      const line = text.split('\n').find((l) => l.startsWith(name));
      return line === undefined ? NaN : Number(line.split(' ').at(-1));
    };
    const count = value('event_writer_flush_duration_seconds_count');
    flushes = {
      count,
      meanSeconds: value('event_writer_flush_duration_seconds_sum') / count,
      meanRows: value('event_writer_flush_rows_sum') / value('event_writer_flush_rows_count'),
      rowsInserted: value('event_writer_rows_inserted_total'),
    };
  } catch {
    // metrics are a bonus
  }
  await stop(writer, 30_000);

  // The writer is gone: this process may now open its embedded ClickHouse directory.
  const ch = createClickHouseClient(`chdb://${chdbDir}`);
  let rows = NaN;
  let uniqueIds = NaN;
  try {
    const rs = await ch.query({
      query: 'SELECT count() AS rows, uniqExact(message_id) AS ids FROM events',
      format: 'JSONEachRow',
    });
    const [row] = await rs.json();
    rows = Number(row?.rows);
    uniqueIds = Number(row?.ids);
  } finally {
    await ch.close();
  }
  const seconds =
    doneAt !== undefined && firstDeliveryAt !== undefined ? (doneAt - firstDeliveryAt) / 1000 : NaN;
  return {
    consumer,
    expectedEvents,
    streamMessages,
    streamBytes,
    timedOut: doneAt === undefined,
    startupSeconds: firstDeliveryAt === undefined ? NaN : (firstDeliveryAt - spawnedAt) / 1000,
    seconds,
    rows,
    uniqueIds,
    rowsPerSecond: expectedEvents / seconds,
    writerCores: (cpuAtDone - cpuAtFirst) / seconds,
    natsCores: (natsAtDone - natsAtFirst) / seconds,
    machineBusy: machineAtFirst
      ? (machineAtDone.busy - machineAtFirst.busy) /
        Math.max(1, machineAtDone.total - machineAtFirst.total)
      : NaN,
    window: monoAtFirst === undefined ? undefined : [monoAtFirst, monoAtDone],
    lastConsumerState: last
      ? {
          num_pending: last.num_pending,
          num_ack_pending: last.num_ack_pending,
          ack_floor: last.ack_floor.stream_seq,
          last_seq: lastSeq,
        }
      : undefined,
    deadLetters,
    flushes,
  };
}
