import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HealthRegistry } from './health-registry';
import { metricsRegistry } from '../metrics';

const never = () => new Promise<void>(() => undefined);

void describe('HealthRegistry', () => {
  void it('is ready with no checks registered', async () => {
    assert.deepEqual(await new HealthRegistry().check(), { status: 'ready', checks: {} });
  });

  void it('is ready when every check is up, with each latency', async () => {
    const registry = new HealthRegistry();
    registry.register('identity.postgres', () => Promise.resolve());
    registry.register('identity.nats', () => new Promise((resolve) => setTimeout(resolve, 5)));

    const report = await registry.check();

    assert.equal(report.status, 'ready');
    assert.deepEqual(Object.keys(report.checks), ['identity.nats', 'identity.postgres']);
    for (const result of Object.values(report.checks)) {
      assert.equal(result.status, 'up');
      assert.ok(result.latencyMs >= 0);
    }
    assert.ok(report.checks['identity.nats']!.latencyMs >= 4);
  });

  void it('is not ready when one check throws, and surfaces its message', async () => {
    const registry = new HealthRegistry();
    registry.register('identity.postgres', () => Promise.resolve());
    registry.register('identity.nats', () => Promise.reject(new Error('connection refused')));

    const report = await registry.check();

    assert.equal(report.status, 'not_ready');
    assert.equal(report.checks['identity.postgres']!.status, 'up');
    assert.deepEqual(
      { ...report.checks['identity.nats']!, latencyMs: 0 },
      { status: 'down', error: 'connection refused', latencyMs: 0 },
    );
  });

  void it('counts a synchronous throw and a non-Error rejection as down', async () => {
    const registry = new HealthRegistry();
    registry.register('a.sync', () => {
      throw new Error('sync boom');
    });
    registry.register('a.string', () => Promise.reject(new Error('')));

    const report = await registry.check();

    assert.equal(report.checks['a.sync']!.status, 'down');
    assert.equal(report.checks['a.string']!.status, 'down');
    assert.equal((report.checks['a.string'] as { error: string }).error, 'Error');
  });

  void it('times a hung check out as down without waiting for it', async () => {
    const registry = new HealthRegistry({ timeoutMs: 50 });
    registry.register('crm.clickhouse', never);
    registry.register('crm.postgres', () => Promise.resolve());

    const started = Date.now();
    const report = await registry.check();

    assert.ok(Date.now() - started < 1000, 'the probe is bounded by the timeout');
    assert.equal(report.status, 'not_ready');
    const result = report.checks['crm.clickhouse']!;
    assert.equal(result.status, 'down');
    assert.match((result as { error: string }).error, /timed out after 50 ms/);
    assert.equal(report.checks['crm.postgres']!.status, 'up');
  });

  void it('lets one check override the timeout', async () => {
    const registry = new HealthRegistry({ timeoutMs: 5000 });
    registry.register('slow', never, { timeoutMs: 20 });
    const report = await registry.check();
    assert.match((report.checks.slow as { error: string }).error, /timed out after 20 ms/);
  });

  void it('masks credentials in URLs of error messages', async () => {
    const registry = new HealthRegistry();
    registry.register('x', () =>
      Promise.reject(new Error('cannot reach postgres://app:s3cret@db:5432/cdp')),
    );
    const report = await registry.check();
    assert.equal(
      (report.checks.x as { error: string }).error,
      'cannot reach postgres://***@db:5432/cdp',
    );
  });

  void it('prefixes names by service and merges services into one report', async () => {
    const registry = new HealthRegistry();
    registry.forService('identity').register('postgres', () => Promise.resolve());
    registry.forService('profile').register('postgres', () => Promise.reject(new Error('down')));

    const report = await registry.check();

    assert.deepEqual(Object.keys(report.checks), ['identity.postgres', 'profile.postgres']);
    assert.equal(report.status, 'not_ready');
  });

  void it('refuses a duplicate name and can unregister', async () => {
    const registry = new HealthRegistry();
    const unregister = registry.register('identity.postgres', () =>
      Promise.reject(new Error('down')),
    );
    assert.throws(
      () => registry.register('identity.postgres', () => Promise.resolve()),
      /already registered/,
    );

    unregister();

    assert.equal((await registry.check()).status, 'ready');
    registry.register('identity.postgres', () => Promise.resolve());
  });

  void it('reports not ready once draining, whatever the checks say', async () => {
    const registry = new HealthRegistry();
    registry.register('ok', () => Promise.resolve());
    registry.drain();
    const report = await registry.check();
    assert.equal(report.status, 'not_ready');
    assert.equal(report.draining, true);
    assert.equal(report.checks.ok!.status, 'up');
  });

  void it('exports the last result of each check as readiness_check_up', async () => {
    const registry = new HealthRegistry();
    registry.register('gauge.up', () => Promise.resolve());
    registry.register('gauge.down', () => Promise.reject(new Error('x')));
    await registry.check();
    const text = await metricsRegistry.metrics();
    assert.match(text, /readiness_check_up\{check="gauge.up"\} 1/);
    assert.match(text, /readiness_check_up\{check="gauge.down"\} 0/);
  });
});
