import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '@cdp/contracts';
import { connectNats } from '@cdp/messaging';
import { NatsKeyChangeBus, systemClock } from '@cdp/tenancy';
import { TEST_NATS_URL } from '@cdp/testing';
import { SUBJECTS } from '@cdp/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import { startIngestion, type IngestionHarness, type TestTenant } from '../support/harness';
import { SourceWriteKeyVerifier } from '../../src/sources/application/source-write-key-verifier';
import {
  WRITE_KEY_VERIFIER,
  type WriteKeyVerifier,
} from '../../src/sources/application/write-key-verifier.port';
import { PostgresWriteKeyRepository } from '../../src/sources/infrastructure/postgres-sources.repositories';

interface SourceBody {
  id: string;
  workspaceId: string;
  name: string;
  kind: string;
  enabled: boolean;
  trackingPlanId: string | null;
}
interface KeyBody {
  id: string;
  status: string;
  key?: string;
  graceUntil: string | null;
  previous?: KeyBody;
}

let harness: IngestionHarness;
let verifier: WriteKeyVerifier;
/** A second "pod": its own NATS connection, bus and cache, the same database. */
let otherNc: NatsConnection;
let otherBus: NatsKeyChangeBus;
let other: SourceWriteKeyVerifier;

before(async () => {
  harness = await startIngestion();
  verifier = harness.platform.app.get<WriteKeyVerifier>(WRITE_KEY_VERIFIER);
  const postgres = harness.platform.infrastructure.services[0]?.postgres;
  assert.ok(postgres);
  otherNc = await connectNats({ url: TEST_NATS_URL, name: 'other-pod' });
  otherBus = new NatsKeyChangeBus(otherNc, {
    namespace: harness.namespace,
    subject: SUBJECTS.ingestionWriteKeyChanged,
  });
  otherBus.start();
  await otherNc.flush();
  other = new SourceWriteKeyVerifier(
    new PostgresWriteKeyRepository(postgres),
    otherBus,
    systemClock,
  );
});
after(async () => {
  other.close();
  otherBus.close();
  await otherNc.drain();
  await harness.close();
});

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  return JSON.parse(text) as T;
}

const post = (path: string, body: unknown, key?: string) =>
  harness.api(path, { method: 'POST', body: JSON.stringify(body), ...(key ? { key } : {}) });
const patch = (path: string, body: unknown, key?: string) =>
  harness.api(path, { method: 'PATCH', body: JSON.stringify(body), ...(key ? { key } : {}) });

async function createSource(name = 'web', kind = 'browser'): Promise<SourceBody> {
  return json<SourceBody>(await post('/v1/sources', { name, kind }), 201);
}
async function createKey(sourceId: string): Promise<KeyBody & { key: string }> {
  return json(await post(`/v1/sources/${sourceId}/write-keys`, {}), 201);
}

async function rejection(v: WriteKeyVerifier, key: string): Promise<string | undefined> {
  try {
    await v.verify(key);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof DomainError, String(error));
    assert.equal(error.kind, 'unauthenticated');
    return error.code;
  }
}

/** Polls until `other` rejects the key; returns the elapsed milliseconds. */
async function rejectedWithin(key: string, code: string, limitMs = 1000): Promise<number> {
  const start = performance.now();
  for (;;) {
    const got = await rejection(other, key);
    const elapsed = performance.now() - start;
    if (got === code) return elapsed;
    assert.ok(elapsed < limitMs, `still ${got ?? 'accepted'} after ${elapsed.toFixed(0)} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('sources CRUD', () => {
  test('create, list, get, update and delete a source', async () => {
    const created = await createSource('website', 'browser');
    assert.match(created.id, /^src_[0-9a-f]{24}$/);
    assert.equal(created.workspaceId, harness.tenant.workspaceId);
    assert.equal(created.enabled, true);
    assert.equal(created.trackingPlanId, null);

    const list = await json<{ data: SourceBody[] }>(await harness.api('/v1/sources'), 200);
    assert.ok(list.data.some((s) => s.id === created.id));
    const got = await json<SourceBody>(await harness.api(`/v1/sources/${created.id}`), 200);
    assert.equal(got.name, 'website');

    const renamed = await json<SourceBody>(
      await patch(`/v1/sources/${created.id}`, { name: 'site', enabled: false }),
      200,
    );
    assert.equal(renamed.name, 'site');
    assert.equal(renamed.enabled, false);

    await json(await harness.api(`/v1/sources/${created.id}`, { method: 'DELETE' }), 200);
    await json(await harness.api(`/v1/sources/${created.id}`), 404);
  });

  test('bad bodies are 400 naming the field; unknown ids are 404', async () => {
    const bad = await json<{ error: { code: string; details: { issues: { field: string }[] } } }>(
      await post('/v1/sources', { name: 'x', kind: 'fax' }),
      400,
    );
    assert.equal(bad.error.details.issues[0]?.field, 'kind');
    const plan = await json<{ error: { code: string } }>(
      await post('/v1/sources', { name: 'x', kind: 'server', trackingPlanId: 'tp_nope' }),
      400,
    );
    assert.equal(plan.error.code, 'source.unknown_tracking_plan');
    await json(await harness.api('/v1/sources/src_000000000000000000000000'), 404);
    await json(await harness.api('/v1/sources/not-an-id'), 404);
  });
});

describe('write keys', () => {
  test('a key is shown once, listed without secret, and verified locally after one load', async () => {
    const source = await createSource('server', 'server');
    const issued = await createKey(source.id);
    assert.match(issued.key, /^wk_[0-9a-f]{24}[A-Za-z0-9_-]{43}$/);
    assert.equal(issued.key.slice(3, 27), issued.id);

    const listed = await json<{ data: KeyBody[] }>(
      await harness.api(`/v1/sources/${source.id}/write-keys`),
      200,
    );
    assert.deepEqual(
      listed.data.map((k) => [k.id, k.status]),
      [[issued.id, 'active']],
    );
    assert.ok(!JSON.stringify(listed).includes(issued.key.slice(27)), 'no secret in the list');

    const verified = await verifier.verify(issued.key);
    assert.deepEqual(verified, {
      workspaceId: harness.tenant.workspaceId,
      sourceId: source.id,
      writeKeyId: issued.id,
      sourceKind: 'server',
    });
    const loads = other.stats.loads;
    for (let i = 0; i < 50; i++) await other.verify(issued.key);
    assert.equal(other.stats.loads, loads + 1, 'one database read, then cache hits');

    // A wrong secret with a real id, and garbage, are the same 401.
    const wrong = issued.key.slice(0, 27) + 'A'.repeat(43);
    assert.equal(await rejection(verifier, wrong), 'auth.invalid_write_key');
    assert.equal(await rejection(verifier, 'garbage'), 'auth.invalid_write_key');
    assert.equal(await rejection(verifier, harness.tenant.adminKey), 'auth.invalid_write_key');
  });

  test('revoke: another pod with the key cached rejects it within 1 s', async () => {
    const source = await createSource();
    const issued = await createKey(source.id);
    await other.verify(issued.key); // cached in the other pod
    await other.verify(issued.key);
    const revoked = await json<KeyBody>(
      await harness.api(`/v1/sources/${source.id}/write-keys/${issued.id}`, { method: 'DELETE' }),
      200,
    );
    assert.equal(revoked.status, 'revoked');
    // The revoking pod rejects before the reply.
    assert.equal(await rejection(verifier, issued.key), 'auth.write_key_revoked');
    const elapsed = await rejectedWithin(issued.key, 'auth.write_key_revoked');
    console.log(`revoked write key rejected by the other pod after ${elapsed.toFixed(1)} ms`);
  });

  test('rotate: the successor works at once, the old key until its grace ends', async () => {
    const source = await createSource();
    const old = await createKey(source.id);
    await other.verify(old.key);
    const rotated = await json<KeyBody & { key: string; previous: KeyBody }>(
      await post(`/v1/sources/${source.id}/write-keys/${old.id}/rotate`, {
        gracePeriodSeconds: 1,
      }),
      201,
    );
    assert.notEqual(rotated.id, old.id);
    assert.equal(rotated.previous.status, 'rotated');
    assert.ok(rotated.previous.graceUntil);
    assert.equal((await other.verify(rotated.key)).writeKeyId, rotated.id);
    assert.equal((await other.verify(old.key)).writeKeyId, old.id, 'old key within grace');
    assert.equal((await verifier.verify(old.key)).writeKeyId, old.id);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await rejection(other, old.key), 'auth.write_key_expired');
    assert.equal(await rejection(verifier, old.key), 'auth.write_key_expired');
    assert.equal((await other.verify(rotated.key)).writeKeyId, rotated.id);

    // A rotated key cannot be rotated again; grace 0 rejects the old key at once.
    await json(await post(`/v1/sources/${source.id}/write-keys/${old.id}/rotate`, {}), 409);
    const again = await json<KeyBody & { key: string }>(
      await post(`/v1/sources/${source.id}/write-keys/${rotated.id}/rotate`, {
        gracePeriodSeconds: 0,
      }),
      201,
    );
    assert.equal(await rejection(other, rotated.key), 'auth.write_key_expired');
    assert.equal((await other.verify(again.key)).writeKeyId, again.id);

    // Default grace is 24 h.
    const third = await json<KeyBody & { previous: KeyBody }>(
      await post(`/v1/sources/${source.id}/write-keys/${again.id}/rotate`, undefined),
      201,
    );
    const grace = Date.parse(third.previous.graceUntil ?? '') - Date.now();
    assert.ok(grace > 23.9 * 3600_000 && grace <= 24 * 3600_000, `grace ${grace}`);
  });

  test('disabling a source rejects its keys in every pod; enabling restores them', async () => {
    const source = await createSource();
    const issued = await createKey(source.id);
    await other.verify(issued.key);
    await json(await patch(`/v1/sources/${source.id}`, { enabled: false }), 200);
    assert.equal(await rejection(verifier, issued.key), 'auth.source_disabled');
    await rejectedWithin(issued.key, 'auth.source_disabled');
    await json(await patch(`/v1/sources/${source.id}`, { enabled: true }), 200);
    const start = performance.now();
    for (;;) {
      if ((await rejection(other, issued.key)) === undefined) break;
      assert.ok(performance.now() - start < 1000, 'still rejected after re-enabling');
      await new Promise((r) => setTimeout(r, 5));
    }
    // Deleting the source deletes its keys.
    await json(await harness.api(`/v1/sources/${source.id}`, { method: 'DELETE' }), 200);
    await rejectedWithin(issued.key, 'auth.invalid_write_key');
  });
});

describe('isolation and scopes', () => {
  let b: TestTenant;
  before(async () => {
    b = await harness.newTenant();
  });

  test("another workspace's source and keys are 404 on every route, and unchanged", async () => {
    const source = await createSource();
    const issued = await createKey(source.id);
    const asB = (path: string, method = 'GET', body?: unknown) =>
      harness.api(path, {
        method,
        key: b.adminKey,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const routes: [string, string, unknown?][] = [
      ['GET', `/v1/sources/${source.id}`],
      ['PATCH', `/v1/sources/${source.id}`, { enabled: false }],
      ['DELETE', `/v1/sources/${source.id}`],
      ['POST', `/v1/sources/${source.id}/write-keys`, {}],
      ['GET', `/v1/sources/${source.id}/write-keys`],
      ['POST', `/v1/sources/${source.id}/write-keys/${issued.id}/rotate`, {}],
      ['DELETE', `/v1/sources/${source.id}/write-keys/${issued.id}`],
      ['GET', `/v1/sources/${source.id}/events`],
    ];
    for (const [method, path, body] of routes) {
      const response = await asB(path, method, body);
      assert.equal(response.status, 404, `${method} ${path}: ${await response.text()}`);
    }
    // B's own source does not let it reach A's key either.
    const mine = await json<SourceBody>(
      await asB('/v1/sources', 'POST', { name: 'b', kind: 'server' }),
      201,
    );
    await json(await asB(`/v1/sources/${mine.id}/write-keys/${issued.id}`, 'DELETE'), 404);
    const list = await json<{ data: SourceBody[] }>(await asB('/v1/sources'), 200);
    assert.deepEqual(
      list.data.map((s) => s.id),
      [mine.id],
    );
    const still = await json<SourceBody>(await harness.api(`/v1/sources/${source.id}`), 200);
    assert.equal(still.enabled, true);
    assert.equal((await verifier.verify(issued.key)).sourceId, source.id);
  });

  test('sources:read may read, not write; other scopes are 403', async () => {
    const mint = async (scopes: string[]) =>
      (await json<{ key: string }>(await post('/v1/api-keys', { name: 'scoped', scopes }), 201))
        .key;
    const reader = await mint(['sources:read']);
    const writer = await mint(['sources:write']);
    const stranger = await mint(['profiles:read']);
    const source = await createSource();
    await json(await harness.api('/v1/sources', { key: reader }), 200);
    await json(await harness.api(`/v1/sources/${source.id}/write-keys`, { key: reader }), 200);
    await json(await harness.api(`/v1/sources/${source.id}/events`, { key: reader }), 200);
    await json(await post('/v1/sources', { name: 'x', kind: 'server' }, reader), 403);
    await json(await post(`/v1/sources/${source.id}/write-keys`, {}, reader), 403);
    await json(await patch(`/v1/sources/${source.id}`, { enabled: false }, reader), 403);
    await json(await harness.api('/v1/sources', { key: stranger }), 403);
    await json(await post('/v1/sources', { name: 'x', kind: 'server' }, writer), 201);
    await json(await harness.api('/v1/sources', { key: 'cdp_sk_nope' }), 401);
  });
});
