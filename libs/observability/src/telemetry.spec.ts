import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isUntracedPath, SpanKind, startTelemetry, withSpan } from './telemetry';

void describe('startTelemetry', () => {
  const received: { url: string | undefined; body: string }[] = [];
  const collector = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ url: request.url, body });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });

  after(() => collector.close());

  void it('exports spans over OTLP/HTTP to the given endpoint, and starts once per process', async () => {
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`;

    const handle = startTelemetry({ serviceName: 'telemetry-spec', otlpEndpoint: endpoint });
    assert.equal(handle.exporter, 'otlp');
    assert.equal(handle.memoryExporter, undefined);
    assert.equal(
      startTelemetry({ serviceName: 'other', exporter: 'memory' }),
      handle,
      'the second call returns the first handle',
    );

    await withSpan('spec-span', SpanKind.INTERNAL, () => 'done', { 'cdp.workspace': 'w1' });
    await handle.shutdown(); // flushes the batch processor
    await handle.shutdown(); // idempotent

    const exported = received.find((r) => r.body.includes('spec-span'));
    assert.ok(exported, 'the span reached the collector');
    assert.equal(exported.url, '/v1/traces');
    assert.match(exported.body, /telemetry-spec/);
  });

  void it('never traces probes and scrapes', () => {
    assert.equal(isUntracedPath('/health/live'), true);
    assert.equal(isUntracedPath('/health/ready?verbose=1'), true);
    assert.equal(isUntracedPath('/metrics'), true);
    assert.equal(isUntracedPath('/v1/track'), false);
    assert.equal(isUntracedPath('/healthy'), false);
    assert.equal(isUntracedPath(undefined), false);
  });
});
