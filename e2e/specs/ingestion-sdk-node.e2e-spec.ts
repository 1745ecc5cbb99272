import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import {
  createSandbox,
  MONOLITH_ENTRY,
  startProcess,
  type RunningProcess,
  type Sandbox,
} from '../support/platform';
import {
  bootstrapWorkspace,
  createSource,
  readStoredEvents,
  waitForWriterDrained,
  type CollectionSource,
  type StoredEvent,
  type Workspace,
} from '../support/ingestion';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const SDK_VERSION = (require('@segment/analytics-node/package.json') as { version: string })
  .version;

const ms = (iso: string | null) => {
  assert.ok(iso, 'timestamp present');
  return Date.parse(iso);
};

/**
 * What a ClickHouse JSON column gives back for an object: keys whose value is null or an empty
 * object are not stored (arrays, nulls inside arrays and everything else are). A known property
 * of the JSON type that the `events` schema inherits: reported, not hidden.
 */
function asJsonColumn(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null) continue;
    if (typeof v === 'object' && !Array.isArray(v)) {
      const nested = asJsonColumn(v as Record<string, unknown>);
      if (Object.keys(nested).length > 0) out[key] = nested;
      continue;
    }
    out[key] = v;
  }
  return out;
}

describe('the real @segment/analytics-node client', () => {
  let sandbox: Sandbox;
  let platform: RunningProcess;
  let workspace: Workspace;
  let source: CollectionSource;

  before(async () => {
    sandbox = createSandbox('sdknode');
    platform = await startProcess(MONOLITH_ENTRY, sandbox, { args: ['--services=ingestion'] });
    workspace = await bootstrapWorkspace(sandbox, 'sdk-node');
    source = await createSource(platform.url, workspace.key, 'backend', 'server');
  });
  after(async () => {
    await platform.process.stop('SIGKILL');
    await sandbox.cleanup();
  });

  test('every call type lands in ClickHouse with every field', async () => {
    const statuses: number[] = [];
    const analytics = new Analytics({
      writeKey: source.writeKey,
      host: platform.url,
      flushAt: 3,
      flushInterval: 200,
      maxRetries: 0,
      // The SDK's own fetch, recorded: every batch it sends must be answered 200.
      httpClient: async (url, init) => {
        const response = await fetch(url, init);
        statuses.push(response.status);
        return response;
      },
    });
    const errors: unknown[] = [];
    analytics.on('error', (error) => errors.push(error));

    const id = (label: string) => `${label}-${randomUUID()}`;
    const ids = {
      identify: id('identify'),
      track: id('track'),
      page: id('page'),
      screen: id('screen'),
      group: id('group'),
      alias: id('alias'),
    };
    const userId = 'user-42';
    const anonymousId = 'anon-0f8e';
    const pastTimestamp = '2024-03-04T05:06:07.089Z';
    const orderProperties = {
      orderId: 'o-1001',
      revenue: 99.95,
      currency: 'EUR',
      coupon: null,
      paid: true,
      items: 3,
      note: 'Привет, 世界 🚗 "quoted" \\ back',
      shipping: { address: { city: 'Berlin', zip: '10115' }, express: false, days: 2 },
      tags: ['new', 'gift'],
    };
    const campaign = { name: 'spring', source: 'search', medium: 'cpc' };

    const sendStart = Date.now();
    analytics.identify({
      messageId: ids.identify,
      userId,
      anonymousId,
      traits: { email: 'ivanov@example.com', name: 'Ivan Ivanov', plan: 'pro', logins: 3 },
      context: { ip: '203.0.113.7', campaign },
    });
    analytics.track({
      messageId: ids.track,
      userId,
      anonymousId,
      event: 'Order Completed',
      properties: orderProperties,
      context: { ip: '203.0.113.7', locale: 'de-DE' },
      integrations: { All: true, Mixpanel: false },
      timestamp: new Date(pastTimestamp),
    });
    analytics.page({
      messageId: ids.page,
      anonymousId,
      category: 'Docs',
      name: 'Pricing',
      properties: { url: 'https://shop.example/pricing', title: 'Pricing', referrer: '' },
    });
    analytics.screen({
      messageId: ids.screen,
      userId,
      name: 'Home',
      properties: { variant: 'b' },
    });
    analytics.group({
      messageId: ids.group,
      userId,
      groupId: 'acme',
      traits: { name: 'Acme GmbH', employees: 120 },
    });
    analytics.alias({ messageId: ids.alias, userId, previousId: anonymousId });
    await analytics.closeAndFlush({ timeout: 15_000 });
    const sendEnd = Date.now();

    assert.deepEqual(errors, [], 'the SDK reported no delivery error');
    assert.ok(statuses.length >= 2, `the SDK sent its batches (${statuses.join(',')})`);
    assert.ok(
      statuses.every((s) => s === 200),
      `every batch answered 200: ${statuses.join(',')}`,
    );

    await waitForWriterDrained(sandbox, { platform: platform.process });
    const stopped = await platform.process.stop('SIGTERM');
    assert.equal(stopped.code, 0, platform.process.output());

    const rows = await readStoredEvents(sandbox, workspace.workspaceId);
    const byId = new Map(rows.map((r) => [r.message_id, r]));
    assert.equal(rows.length, 6, `six rows: ${rows.map((r) => r.message_id).join(', ')}`);
    const row = (messageId: string): StoredEvent => {
      const found = byId.get(messageId);
      assert.ok(found, `${messageId} stored`);
      return found;
    };

    // Columns every row shares.
    for (const stored of rows) {
      assert.equal(stored.workspace_id, workspace.workspaceId);
      assert.equal(stored.source_id, source.sourceId);
      assert.ok(stored.write_key_id, 'the write key id is recorded');
      assert.ok(
        !JSON.stringify(stored).includes(source.writeKey),
        'the write key itself is never stored',
      );
      const library = stored.context.library as { name?: string; version?: string } | undefined;
      assert.deepEqual(
        { name: library?.name, version: library?.version },
        { name: '@segment/analytics-node', version: SDK_VERSION },
        `${stored.type}: context.library from the SDK`,
      );
      // Timestamps: receivedAt is the server clock while the calls were in flight; sentAt the
      // SDK's clock when the batch left; timestamp is originalTimestamp corrected by the skew
      // (receivedAt - sentAt), as Segment does.
      const received = ms(stored.received_at);
      assert.ok(received >= sendStart - 5 && received <= sendEnd + 5, `receivedAt in the run`);
      const sent = ms(stored.sent_at);
      assert.ok(sent >= sendStart - 5 && sent <= received + 5, `sentAt before receivedAt`);
      const original = ms(stored.original_timestamp);
      assert.ok(
        Math.abs(ms(stored.timestamp) - (original + (received - sent))) <= 1,
        `${stored.type}: timestamp = originalTimestamp + (receivedAt - sentAt): ${JSON.stringify(stored)}`,
      );
    }

    const identify = row(ids.identify);
    assert.equal(identify.type, 'identify');
    assert.equal(identify.user_id, userId);
    assert.equal(identify.anonymous_id, anonymousId);
    assert.deepEqual(identify.traits, {
      email: 'ivanov@example.com',
      name: 'Ivan Ivanov',
      plan: 'pro',
      logins: 3,
    });
    assert.equal(identify.context.ip, '203.0.113.7');
    assert.deepEqual(identify.context.campaign, campaign);
    assert.ok(
      ms(identify.original_timestamp) >= sendStart - 5 &&
        ms(identify.original_timestamp) <= sendEnd,
      'the SDK stamped the call time',
    );

    const track = row(ids.track);
    assert.equal(track.type, 'track');
    assert.equal(track.event, 'Order Completed');
    assert.equal(track.user_id, userId);
    assert.equal(track.anonymous_id, anonymousId);
    assert.deepEqual(
      track.properties,
      asJsonColumn(orderProperties),
      'properties, nested and unicode, intact',
    );
    assert.equal('coupon' in track.properties, false, 'JSON columns drop null-valued keys');
    assert.equal(track.context.locale, 'de-DE');
    assert.deepEqual(JSON.parse(track.integrations), { All: true, Mixpanel: false });
    assert.equal(track.original_timestamp, pastTimestamp, 'originalTimestamp as the client sent');
    assert.ok(
      Math.abs(ms(track.timestamp) - Date.parse(pastTimestamp)) < 2_000,
      `a past timestamp stays in the past (skew only): ${track.timestamp}`,
    );

    const page = row(ids.page);
    assert.equal(page.type, 'page');
    assert.equal(page.name, 'Pricing');
    assert.equal(page.category, 'Docs');
    assert.equal(page.anonymous_id, anonymousId);
    assert.equal(page.user_id, '');
    assert.deepEqual(page.properties, {
      category: 'Docs', // the SDK copies the category into properties
      url: 'https://shop.example/pricing',
      title: 'Pricing',
      referrer: '',
    });

    const screen = row(ids.screen);
    assert.equal(screen.type, 'screen');
    assert.equal(screen.name, 'Home');
    assert.deepEqual(screen.properties, { variant: 'b' });

    const group = row(ids.group);
    assert.equal(group.type, 'group');
    assert.equal(group.group_id, 'acme');
    assert.deepEqual(group.traits, { name: 'Acme GmbH', employees: 120 });

    const alias = row(ids.alias);
    assert.equal(alias.type, 'alias');
    assert.equal(alias.user_id, userId);
    assert.equal(alias.previous_id, anonymousId);
  });
});
