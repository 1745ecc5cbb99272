// The bare baseline: a plain node:http server that parses the `/v1/batch` JSON body and
// publishes it to JetStream as ONE message per request (100 events, the same micro-batch shape
// and headers ingestion publishes), answering 200 after the PubAck. No auth, no validation,
// no per-event work: the floor of what any Node service doing this job costs.
// Run by run.mjs as a child process; prints "listening <port>" once ready.
import http from 'node:http';
import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { connectNats, ensureStreams, Namespace } from '@cdp/messaging';
import { jetstreamManager } from '@nats-io/jetstream';
import { STREAMS, SUBJECTS } from '@cdp/contracts';

const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const namespace = Namespace.of(process.env.NATS_NAMESPACE ?? 'bench-baseline');
const workspaceId = process.env.BENCH_WORKSPACE ?? 'baseline';

const nc = await connectNats({ url: natsUrl, name: 'bench-baseline' });
// Same stream settings as the platform (file storage, dedup window): only the server differs.
await ensureStreams(await jetstreamManager(nc), namespace, [STREAMS.ingestion]);
const js = jetstream(nc);
const subject = namespace.subject(`${SUBJECTS.eventAccepted}.${workspaceId}.0`);
const encoder = new TextEncoder();

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let items;
    try {
      items = JSON.parse(Buffer.concat(chunks).toString('utf8')).batch;
      if (!Array.isArray(items) || items.length === 0) throw new Error('no batch');
    } catch (error) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'invalid', message: String(error) } }));
      return;
    }
    const h = natsHeaders();
    h.set('cdp-workspace', workspaceId);
    h.set('cdp-schema', 'cdp.ingestion.v1.EventBatch');
    h.set('content-type', 'application/json');
    js.publish(subject, encoder.encode(JSON.stringify({ items })), {
      msgID: `${workspaceId}:${items[0].messageId}`,
      headers: h,
    }).then(
      () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"success":true}');
      },
      (error) => {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ error: { code: 'unavailable', message: String(error) } }));
      },
    );
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});

const stop = () => {
  server.close();
  server.closeAllConnections?.();
  void nc.drain().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
