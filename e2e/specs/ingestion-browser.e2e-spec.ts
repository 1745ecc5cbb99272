import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
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
  type Workspace,
} from '../support/ingestion';
import {
  analyticsNextUmdDir,
  launchChromium,
  serveStaticSite,
  type StaticSite,
} from '../support/browser';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const SDK_VERSION = (require('@segment/analytics-next/package.json') as { version: string })
  .version;

/** A shop page that loads analytics-next (the UMD build) from its own site, settings from us. */
function shopPage(writeKey: string, cdnURL: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Used cars | Shop</title></head>
<body><h1>Used cars</h1>
<script src="/index.js"></script>
<script>
  const analytics = AnalyticsNext.AnalyticsBrowser.load(
    { writeKey: ${JSON.stringify(writeKey)}, cdnURL: ${JSON.stringify(cdnURL)} },
    { retryQueue: false },
  );
  window.shop = {
    async run() {
      const delivered = (ctx) => ({
        messageId: ctx.event.messageId,
        anonymousId: ctx.event.anonymousId,
        failed: Boolean(ctx.failedDelivery()),
      });
      const page = await analytics.page('Cars', 'Used cars', { section: 'compare' });
      const track = await analytics.track('Car Compared', {
        models: ['Octavia', 'Golf'],
        price: { min: 12000, max: 18500, currency: 'EUR' },
      });
      const identify = await analytics.identify('ivanov-1', { email: 'ivanov@example.com' });
      return { page: delivered(page), track: delivered(track), identify: delivered(identify) };
    },
  };
</script>
</body></html>`;
}

describe('analytics-next in headless Chromium', () => {
  let sandbox: Sandbox;
  let platform: RunningProcess;
  let workspace: Workspace;
  let source: CollectionSource;
  let site: StaticSite;
  let browser: Browser;

  before(async () => {
    sandbox = createSandbox('browser');
    [platform, browser] = await Promise.all([
      startProcess(MONOLITH_ENTRY, sandbox, { args: ['--services=ingestion'] }),
      launchChromium(),
    ]);
    workspace = await bootstrapWorkspace(sandbox, 'browser');
    source = await createSource(platform.url, workspace.key, 'website', 'browser');
    site = await serveStaticSite(
      { '/': shopPage(source.writeKey, platform.url) },
      analyticsNextUmdDir(),
    );
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await platform?.process.stop('SIGKILL');
    await sandbox?.cleanup();
  });

  test('page, track and identify calls from a page reach ClickHouse', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const exchanges: string[] = [];
    const failures: string[] = [];
    page.on('response', (response) => {
      exchanges.push(`${response.request().method()} ${response.url()} ${response.status()}`);
    });
    page.on('requestfailed', (request) => {
      failures.push(`${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`);
    });
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));

    const started = Date.now();
    await page.goto(`${site.url}/`, { waitUntil: 'load', timeout: 15_000 });
    const trace = () =>
      `exchanges:\n${exchanges.join('\n')}\nfailed:\n${failures.join('\n')}\nconsole:\n${consoleErrors.join('\n')}`;
    // Runs in the page (a string: this project compiles without the DOM library).
    const delivered = (await page.evaluate('window.shop.run()').catch((error: Error) => {
      throw new Error(`${error.message}\n${trace()}`);
    })) as Record<
      'page' | 'track' | 'identify',
      { messageId: string; anonymousId: string; failed: boolean }
    >;
    const finished = Date.now();
    await context.close();

    for (const [call, result] of Object.entries(delivered))
      assert.equal(result.failed, false, `${call} was delivered\n${trace()}`);
    const settingsUrl = `${platform.url}/v1/projects/${source.writeKey}/settings`;
    assert.ok(
      exchanges.includes(`GET ${settingsUrl} 200`),
      `settings loaded from the platform\n${trace()}`,
    );
    for (const path of ['/v1/p', '/v1/t', '/v1/i'])
      assert.ok(
        exchanges.includes(`POST ${platform.url}${path} 200`),
        `${path} answered 200\n${trace()}`,
      );
    assert.deepEqual(
      failures,
      [],
      `no request failed (nothing fetched from the internet)\n${trace()}`,
    );

    await waitForWriterDrained(sandbox, { platform: platform.process });
    assert.equal((await platform.process.stop('SIGTERM')).code, 0, platform.process.output());
    const rows = await readStoredEvents(sandbox, workspace.workspaceId);
    assert.equal(rows.length, 3, JSON.stringify(rows, null, 1));
    const byId = new Map(rows.map((r) => [r.message_id, r]));
    const anonymousId = delivered.page.anonymousId;
    assert.ok(anonymousId, 'analytics-next made an anonymousId');

    for (const row of rows) {
      assert.equal(row.source_id, source.sourceId);
      assert.equal(row.anonymous_id, anonymousId, 'one browser, one anonymousId');
      const library = row.context.library as { name?: string; version?: string } | undefined;
      assert.equal(library?.name, 'analytics.js');
      // The browser (UMD) build reports `next-<version>` (the npm build: `npm:next-<version>`).
      assert.equal(library?.version, `next-${SDK_VERSION}`);
      assert.match(String(row.context.userAgent), /Chrome\//);
      const pageContext = row.context.page as { url?: string; title?: string } | undefined;
      assert.equal(pageContext?.url, `${site.url}/`);
      assert.equal(pageContext?.title, 'Used cars | Shop');
      const received = Date.parse(row.received_at);
      assert.ok(received >= started - 5 && received <= finished + 5, 'receivedAt in the run');
      assert.ok(row.sent_at, 'sentAt recorded');
      assert.ok(row.original_timestamp, 'originalTimestamp recorded');
    }

    const pageRow = byId.get(delivered.page.messageId);
    assert.ok(pageRow, 'the page call is stored under its messageId');
    assert.equal(pageRow.type, 'page');
    assert.equal(pageRow.category, 'Cars');
    assert.equal(pageRow.name, 'Used cars');
    assert.equal(pageRow.properties.section, 'compare');
    assert.equal(pageRow.properties.url, `${site.url}/`);
    assert.equal(pageRow.properties.path, '/');
    assert.equal(pageRow.properties.title, 'Used cars | Shop');

    const trackRow = byId.get(delivered.track.messageId);
    assert.ok(trackRow, 'the track call is stored under its messageId');
    assert.equal(trackRow.type, 'track');
    assert.equal(trackRow.event, 'Car Compared');
    assert.deepEqual(trackRow.properties, {
      models: ['Octavia', 'Golf'],
      price: { min: 12000, max: 18500, currency: 'EUR' },
    });

    const identifyRow = byId.get(delivered.identify.messageId);
    assert.ok(identifyRow, 'the identify call is stored under its messageId');
    assert.equal(identifyRow.type, 'identify');
    assert.equal(identifyRow.user_id, 'ivanov-1');
    assert.equal(identifyRow.traits.email, 'ivanov@example.com');
  });
});
