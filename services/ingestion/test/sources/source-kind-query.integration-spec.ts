import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '@cdp/contracts';
import { startIngestion, type IngestionHarness } from '../support/harness';
import { SOURCE_KIND_QUERY } from '../../src/sources/interface/messaging/source-kind.query';

let h: IngestionHarness;

before(async () => {
  h = await startIngestion();
});
after(async () => {
  await h.close();
});

async function createSource(kind: string, key?: string): Promise<string> {
  const response = await h.api('/v1/sources', {
    method: 'POST',
    body: JSON.stringify({ name: `${kind} source`, kind }),
    ...(key ? { key } : {}),
  });
  assert.equal(response.status, 201);
  return ((await response.json()) as { id: string }).id;
}

// Identity asks the source registry how far it may trust a source (ADR 0041).
test('the source-kind query answers the kind of a source of the asking workspace only', async () => {
  const queries = h.platform.infrastructure.queries;
  const server = await createSource('server');
  const browser = await createSource('browser');
  const ws = h.tenant.workspaceId;
  assert.deepEqual(
    await queries.request(SOURCE_KIND_QUERY, { sourceId: server }, { workspaceId: ws }),
    { kind: 'server' },
  );
  assert.deepEqual(
    await queries.request(SOURCE_KIND_QUERY, { sourceId: browser }, { workspaceId: ws }),
    { kind: 'browser' },
  );
  const other = await h.newTenant();
  await assert.rejects(
    queries.request(SOURCE_KIND_QUERY, { sourceId: server }, { workspaceId: other.workspaceId }),
    (error: unknown) => error instanceof DomainError && error.kind === 'not_found',
  );
  await assert.rejects(
    queries.request(SOURCE_KIND_QUERY, { sourceId: 42 }, { workspaceId: ws }),
    (error: unknown) => error instanceof DomainError && error.kind === 'invalid',
  );
});
