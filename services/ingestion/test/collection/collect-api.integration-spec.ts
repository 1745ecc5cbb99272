import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { startIngestion, type IngestionHarness } from '../support/harness';
import {
  basic,
  collect,
  newSource,
  readEvents,
  storedEvents,
  revokeKey,
  type TestSource,
} from './support';

let harness: IngestionHarness;
let source: TestSource;

before(async () => {
  harness = await startIngestion();
  source = await newSource(harness, 'a');
});
after(() => harness.close());

const nats = () => harness.platform.infrastructure.nats;

async function errorOf(
  res: Response,
): Promise<{ code: string; message: string; details?: Record<string, unknown> }> {
  const body = (await res.json()) as {
    error: { code: string; message: string; details?: Record<string, unknown> };
  };
  return body.error;
}

describe('each endpoint stores the event in the EVENTS stream, field by field', () => {
  const calls: [string, string, Record<string, unknown>][] = [
    [
      '/v1/track',
      'track',
      {
        userId: 'u1',
        event: 'Order Completed',
        properties: { total: 18500.5, items: [{ sku: 'a' }] },
      },
    ],
    ['/v1/t', 'track', { anonymousId: 'an1', event: 'Short Path' }],
    [
      '/v1/identify',
      'identify',
      { userId: 'u1', traits: { email: 'ivanov@example.com', age: 41 } },
    ],
    ['/v1/i', 'identify', { anonymousId: 'an1', traits: { plan: 'pro' } }],
    [
      '/v1/page',
      'page',
      {
        anonymousId: 'an1',
        name: 'Pricing',
        category: 'Docs',
        properties: { url: 'https://x.test/p' },
      },
    ],
    ['/v1/p', 'page', { anonymousId: 'an1', name: 'Home' }],
    ['/v1/screen', 'screen', { userId: 'u1', name: 'Cart', properties: { n: 2 } }],
    ['/v1/s', 'screen', { userId: 'u1', name: 'Home' }],
    ['/v1/group', 'group', { userId: 'u1', groupId: 'g1', traits: { name: 'Acme' } }],
    ['/v1/g', 'group', { userId: 'u1', groupId: 42 }],
    ['/v1/alias', 'alias', { userId: 'u1', previousId: 'an1' }],
    ['/v1/a', 'alias', { userId: 'u2', previousId: 'an2' }],
  ];
  for (const [path, type, fields] of calls) {
    test(`${path} → ${type}`, async () => {
      const messageId = randomUUID();
      const body = {
        ...fields,
        messageId,
        context: { ip: '1.2.3.4', library: { name: 'test' } },
        integrations: { All: true },
        timestamp: '2025-03-01T10:00:00.000Z',
        type: 'ignored-by-the-path',
      };
      const res = await collect(harness, path, body, { writeKey: source.writeKey });
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(await res.json(), { success: true });
      const stored = await storedEvents(nats(), harness.namespace, [messageId]);
      const found = stored.get(messageId);
      assert.ok(found, 'the event is in the stream when 200 is answered');
      const e = found.event;
      assert.equal(e.type, type);
      assert.equal(e.workspaceId, harness.tenant.workspaceId);
      assert.equal(e.sourceId, source.sourceId);
      assert.equal(e.writeKeyId, source.writeKeyId);
      for (const [k, v] of Object.entries(fields))
        assert.deepEqual(
          (e as unknown as Record<string, unknown>)[k],
          typeof v === 'number' && k === 'groupId' ? String(v) : v,
          k,
        );
      assert.deepEqual(e.context, body.context);
      assert.deepEqual(e.integrations, body.integrations);
      assert.equal(e.originalTimestamp, '2025-03-01T10:00:00.000Z');
      assert.equal(e.timestamp, '2025-03-01T10:00:00.000Z');
      assert.ok(Date.now() - Date.parse(e.receivedAt) < 10_000);
      assert.match(
        found.subject,
        new RegExp(
          `^${harness.namespace}\\.cdp\\.ingestion\\.event\\.accepted\\.v1\\.${harness.tenant.workspaceId}\\.\\d+$`,
        ),
      );
    });
  }

  test('the batch message carries the EventBatch schema and workspace headers', async () => {
    const messageId = randomUUID();
    const res = await collect(
      harness,
      '/v1/track',
      { userId: 'h', event: 'E', messageId },
      { writeKey: source.writeKey },
    );
    assert.equal(res.status, 200);
    const { batches } = await readEvents(nats(), harness.namespace);
    const batch = batches.find((b) => b.items.some((i) => i.messageId === messageId));
    assert.ok(batch);
    assert.equal(batch.headers['cdp-schema'], 'cdp.ingestion.v1.EventBatch');
    assert.equal(batch.headers['cdp-workspace'], harness.tenant.workspaceId);
  });
});

describe('batch', () => {
  test('/v1/batch, /v1/import and /v1/b accept, merge batch context/integrations, report invalid items by index', async () => {
    for (const path of ['/v1/batch', '/v1/import', '/v1/b']) {
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      const res = await collect(
        harness,
        path,
        {
          batch: [
            {
              type: 'track',
              userId: 'u',
              event: 'A',
              messageId: ids[0],
              context: { page: { path: '/x' }, locale: 'fr' },
            },
            { type: 'track', userId: 'u', messageId: ids[1] },
            {
              type: 'identify',
              anonymousId: 'a',
              traits: { x: 1 },
              messageId: ids[2],
              integrations: { Mixpanel: false },
            },
            { type: 'explode', userId: 'u' },
          ],
          context: { locale: 'en', app: { name: 'shop' } },
          integrations: { All: true, Mixpanel: true },
        },
        { writeKey: source.writeKey },
      );
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        success: boolean;
        accepted: number;
        rejected: { index: number; errors: { field: string; message: string }[] }[];
      };
      assert.equal(body.success, true);
      assert.equal(body.accepted, 2);
      assert.deepEqual(
        body.rejected.map((r) => [r.index, r.errors.map((e) => e.field)]),
        [
          [1, ['event']],
          [3, ['type']],
        ],
      );
      const stored = await storedEvents(nats(), harness.namespace, [ids[0]!, ids[2]!]);
      assert.deepEqual(stored.get(ids[0]!)?.event.context, {
        locale: 'fr',
        app: { name: 'shop' },
        page: { path: '/x' },
      });
      assert.deepEqual(stored.get(ids[0]!)?.event.integrations, { All: true, Mixpanel: true });
      assert.deepEqual(stored.get(ids[2]!)?.event.integrations, { All: true, Mixpanel: false });
      assert.equal(
        (await storedEvents(nats(), harness.namespace, [ids[1]!])).size,
        0,
        'the invalid item is not stored',
      );
    }
  });

  test('a batch whose every item is invalid is a 400 listing them', async () => {
    const res = await collect(
      harness,
      '/v1/batch',
      { batch: [{ type: 'track', event: 'x' }, 5] },
      { writeKey: source.writeKey },
    );
    assert.equal(res.status, 400);
    const error = await errorOf(res);
    assert.equal(error.code, 'batch.invalid');
    assert.match(error.message, /userId/);
    const rejected = error.details?.rejected as { index: number; errors: { field: string }[] }[];
    assert.deepEqual(
      rejected.map((r) => [r.index, r.errors[0]?.field]),
      [
        [0, 'userId'],
        [1, '$'],
      ],
    );
  });

  test('gzip body (Content-Encoding: gzip) is accepted', async () => {
    const messageId = randomUUID();
    const res = await collect(
      harness,
      '/v1/batch',
      { batch: [{ type: 'track', userId: 'z', event: 'Zipped', messageId }] },
      { writeKey: source.writeKey, gzip: true },
    );
    assert.equal(res.status, 200);
    assert.equal(
      (await storedEvents(nats(), harness.namespace, [messageId])).get(messageId)?.event.event,
      'Zipped',
    );
  });
});

describe('authentication', () => {
  test('writeKey in the body works (text/plain as analytics.js sends it) and is not stored', async () => {
    const messageId = randomUUID();
    const res = await collect(
      harness,
      '/v1/t',
      { writeKey: source.writeKey, userId: 'w', event: 'Body Key', messageId },
      { contentType: 'text/plain;charset=UTF-8' },
    );
    assert.equal(res.status, 200);
    const e = (await storedEvents(nats(), harness.namespace, [messageId])).get(messageId)?.event;
    assert.ok(e);
    assert.equal((e as unknown as Record<string, unknown>).writeKey, undefined);
  });

  test('missing, unknown and revoked keys are 401 with WWW-Authenticate: Basic', async () => {
    const revoked = await newSource(harness, 'revoked');
    await revokeKey(harness, revoked);
    for (const writeKey of [undefined, 'wk_unknown', revoked.writeKey]) {
      const res = await collect(
        harness,
        '/v1/track',
        { userId: 'u', event: 'E' },
        writeKey === undefined ? {} : { writeKey },
      );
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      await res.body?.cancel();
    }
  });

  test('a secret API key is not a write key', async () => {
    const res = await fetch(`${harness.url}/v1/track`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${harness.tenant.adminKey}`,
      },
      body: JSON.stringify({ userId: 'u', event: 'E' }),
    });
    assert.equal(res.status, 401);
  });
});

describe('bad input: always 4xx with the field named, never 5xx', () => {
  const deep =
    '{"userId":"u","event":"e","properties":' + '{"a":'.repeat(100) + '1' + '}'.repeat(100) + '}';
  const corpus: [string, string, number, RegExp][] = [
    ['truncated JSON', '{"userId":"u","event":"e","prop', 400, /invalid_json/],
    ['not an object', '[1,2]', 400, /invalid_json/],
    ['empty body', '', 400, /empty_body|invalid/],
    ['missing ids', '{"event":"e"}', 400, /userId/],
    ['event not a string', '{"userId":"u","event":5}', 400, /event/],
    ['event missing', '{"userId":"u"}', 400, /event/],
    ['properties not an object', '{"userId":"u","event":"e","properties":[1]}', 400, /properties/],
    ['context not an object', '{"userId":"u","event":"e","context":"x"}', 400, /context/],
    ['traits not an object', '{"userId":"u","event":"e","traits":3}', 400, /traits/],
    ['bad timestamp', '{"userId":"u","event":"e","timestamp":"yesterday"}', 400, /timestamp/],
    ['epoch timestamp', '{"userId":"u","event":"e","timestamp":1700000000}', 400, /timestamp/],
    [
      'impossible date',
      '{"userId":"u","event":"e","timestamp":"2025-02-30T00:00:00Z"}',
      400,
      /timestamp/,
    ],
    ['bad sentAt', '{"userId":"u","event":"e","sentAt":"2025-13-01"}', 400, /sentAt/],
    ['huge number', '{"userId":"u","event":"e","properties":{"n":1e400}}', 400, /properties\.n/],
    ['deep nesting', deep, 400, /properties\.a\.a/],
    ['userId an object', '{"userId":{"x":1},"event":"e"}', 400, /userId/],
    ['messageId a number', '{"userId":"u","event":"e","messageId":5}', 400, /messageId/],
  ];
  for (const [name, body, status, pattern] of corpus) {
    test(name, async () => {
      const res = await collect(harness, '/v1/track', undefined, {
        writeKey: source.writeKey,
        raw: body,
      });
      assert.equal(res.status, status, name);
      const error = await errorOf(res);
      assert.match(`${error.code} ${error.message}`, pattern);
    });
  }

  test('invalid UTF-8 is 400', async () => {
    const raw = Buffer.concat([
      Buffer.from('{"userId":"u","event":"'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}'),
    ]);
    const res = await collect(harness, '/v1/track', undefined, { writeKey: source.writeKey, raw });
    assert.equal(res.status, 400);
    assert.equal((await errorOf(res)).code, 'request.invalid_utf8');
  });

  test('a single call over 32 KB is 413 event.too_large (in a batch: rejected by index), a body over 500 KB is 413, also after gunzip', async () => {
    const big = { userId: 'u', event: 'e', properties: { text: 'x'.repeat(33 * 1024) } };
    const res = await collect(harness, '/v1/track', big, { writeKey: source.writeKey });
    assert.equal(res.status, 413);
    const tooLargeError = await errorOf(res);
    assert.equal(tooLargeError.code, 'event.too_large');
    assert.match(tooLargeError.message, /^\$: event is \d+ bytes/);
    // An invalid call just under the limit is still a 400, not a 413.
    const smallInvalid = await collect(
      harness,
      '/v1/track',
      { userId: 'u', properties: { text: 'x'.repeat(1024) } },
      { writeKey: source.writeKey },
    );
    assert.equal(smallInvalid.status, 400);
    assert.equal((await errorOf(smallInvalid)).code, 'event.invalid');

    const inBatch = await collect(
      harness,
      '/v1/batch',
      {
        batch: [
          { type: 'track', ...big },
          { type: 'track', userId: 'u', event: 'ok' },
        ],
      },
      { writeKey: source.writeKey },
    );
    assert.equal(inBatch.status, 200);
    const body = (await inBatch.json()) as {
      accepted: number;
      rejected: { index: number; errors: { field: string }[] }[];
    };
    assert.equal(body.accepted, 1);
    assert.deepEqual(
      body.rejected.map((r) => [r.index, r.errors[0]?.field]),
      [[0, '$']],
    );

    const huge = {
      batch: Array.from({ length: 20 }, () => ({
        type: 'track',
        userId: 'u',
        event: 'e',
        properties: { t: 'y'.repeat(30 * 1024) },
      })),
    };
    const tooLarge = await collect(harness, '/v1/batch', huge, { writeKey: source.writeKey });
    assert.equal(tooLarge.status, 413);
    assert.equal((await errorOf(tooLarge)).code, 'request.too_large');
    const zipped = await collect(harness, '/v1/batch', huge, {
      writeKey: source.writeKey,
      gzip: true,
    });
    assert.equal(zipped.status, 413, 'a small gzip that inflates past the limit is refused');
    await zipped.body?.cancel();
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    const bombRes = await collect(harness, '/v1/batch', undefined, {
      writeKey: source.writeKey,
      raw: bomb,
      headers: { 'content-encoding': 'gzip' },
    });
    assert.equal(bombRes.status, 413);
    await bombRes.body?.cancel();
  });

  test('corrupt gzip and unknown encodings are 4xx', async () => {
    const res = await collect(harness, '/v1/track', undefined, {
      writeKey: source.writeKey,
      raw: 'not gzip',
      headers: { 'content-encoding': 'gzip' },
    });
    assert.equal(res.status, 400);
    assert.equal((await errorOf(res)).code, 'request.invalid_gzip');
    const br = await collect(harness, '/v1/track', undefined, {
      writeKey: source.writeKey,
      raw: '{}',
      headers: { 'content-encoding': 'br' },
    });
    assert.equal(br.status, 415);
    await br.body?.cancel();
  });

  test('batch shape errors name the field', async () => {
    for (const [body, field] of [
      [{ batch: 'x' }, 'batch'],
      [{ batch: [] }, 'batch'],
      [{ batch: [{ type: 'track', userId: 'u', event: 'e' }], context: 7 }, 'context'],
      [{ batch: [{ type: 'track', userId: 'u', event: 'e' }], sentAt: 'soon' }, 'sentAt'],
    ] as const) {
      const res = await collect(harness, '/v1/batch', body, { writeKey: source.writeKey });
      assert.equal(res.status, 400);
      assert.match((await errorOf(res)).message, new RegExp(`^${field}:`));
    }
  });
});

describe('timestamps and ids', () => {
  test('client clock skew is removed using sentAt; originalTimestamp and sentAt are kept', async () => {
    const messageId = randomUUID();
    // The client clock is 1 hour ahead: it says it sent at now+1h an event made 5 s before.
    const sentAt = new Date(Date.now() + 3_600_000);
    const original = new Date(sentAt.getTime() - 5000);
    const res = await collect(
      harness,
      '/v1/batch',
      {
        batch: [
          {
            type: 'track',
            userId: 'u',
            event: 'Skewed',
            messageId,
            timestamp: original.toISOString(),
          },
        ],
        sentAt: sentAt.toISOString(),
      },
      { writeKey: source.writeKey },
    );
    assert.equal(res.status, 200);
    const e = (await storedEvents(nats(), harness.namespace, [messageId])).get(messageId)?.event;
    assert.ok(e);
    assert.equal(e.originalTimestamp, original.toISOString());
    assert.equal(e.sentAt, sentAt.toISOString());
    assert.equal(Date.parse(e.timestamp), Date.parse(e.receivedAt) - 5000);
  });

  test('without any client time the timestamp is receivedAt; a messageId is generated', async () => {
    const res = await collect(
      harness,
      '/v1/batch',
      { batch: [{ type: 'track', userId: 'gen-id-user', event: 'No Id' }] },
      { writeKey: source.writeKey },
    );
    assert.equal(res.status, 200);
    const { batches } = await readEvents(nats(), harness.namespace);
    const e = batches.flatMap((b) => b.items).find((i) => i.userId === 'gen-id-user');
    assert.ok(e);
    assert.match(e.messageId, /^[0-9a-f-]{36}$/);
    assert.equal(e.timestamp, e.receivedAt);
    assert.equal(e.originalTimestamp, undefined);
  });
});

describe('browsers', () => {
  test('CORS preflight on every collection path allows POST with Content-Type and Authorization', async () => {
    for (const path of ['/v1/t', '/v1/batch', '/v1/track', '/v1/b']) {
      const res = await fetch(`${harness.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://shop.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,authorization',
        },
      });
      assert.equal(res.status, 204, path);
      assert.equal(res.headers.get('access-control-allow-origin'), 'https://shop.example');
      assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.match(res.headers.get('access-control-allow-headers') ?? '', /authorization/i);
    }
    const post = await collect(
      harness,
      '/v1/p',
      { anonymousId: 'a', name: 'x' },
      { writeKey: source.writeKey, headers: { origin: 'https://shop.example' } },
    );
    assert.equal(post.status, 200);
    assert.equal(post.headers.get('access-control-allow-origin'), 'https://shop.example');
  });

  test('analytics-next settings point the Segment.io destination at this host; unknown key → 401', async () => {
    const res = await fetch(`${harness.url}/v1/projects/${source.writeKey}/settings`, {
      headers: { origin: 'https://shop.example' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://shop.example');
    const settings = (await res.json()) as {
      integrations: Record<string, { apiKey: string; apiHost: string; protocol: string }>;
    };
    const host = new URL(harness.url).host;
    assert.deepEqual(
      { ...settings.integrations['Segment.io'] },
      {
        ...settings.integrations['Segment.io'],
        apiKey: source.writeKey,
        apiHost: `${host}/v1`,
        protocol: 'http',
      },
    );
    const unknown = await fetch(`${harness.url}/v1/projects/nope/settings`);
    assert.equal(unknown.status, 401);
    await unknown.body?.cancel();
  });
});

test('metrics count accepted and rejected events', async () => {
  const res = await fetch(`${harness.url}/metrics`);
  const text = await res.text();
  assert.match(text, /ingestion_events_accepted_total \d+/);
  assert.match(text, /ingestion_events_rejected_total\{reason="invalid"\} \d+/);
  assert.match(text, /ingestion_request_events_bucket/);
  void basic;
});
