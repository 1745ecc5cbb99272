import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '@cdp/contracts';
import { QuerySourceKindLookup, SOURCE_KIND_QUERY } from './query-source-kind-lookup';

function registry(answer: (sourceId: string) => unknown) {
  const asked: { subject: string; sourceId: string; workspaceId: string | undefined }[] = [];
  return {
    asked,
    request<T>(subject: string, payload: unknown, options?: { workspaceId?: string }): Promise<T> {
      const sourceId = (payload as { sourceId: string }).sourceId;
      asked.push({ subject, sourceId, workspaceId: options?.workspaceId });
      try {
        return Promise.resolve(answer(sourceId) as T);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
  };
}
const unavailable = (message: string) =>
  new DomainError('unavailable', 'messaging.query_unavailable', message);

test('kinds come from the registry, once per workspace and source (a kind never changes)', async () => {
  const fake = registry((id) => ({ kind: id === 'src_s' ? 'server' : 'mobile' }));
  const lookup = new QuerySourceKindLookup(fake);
  assert.equal(await lookup.kindOf('ws_1', 'src_s'), 'server');
  assert.equal(await lookup.kindOf('ws_1', 'src_s'), 'server');
  assert.equal(await lookup.kindOf('ws_1', 'src_m'), 'mobile');
  assert.equal(await lookup.kindOf('ws_2', 'src_s'), 'server');
  assert.deepEqual(fake.asked, [
    { subject: SOURCE_KIND_QUERY, sourceId: 'src_s', workspaceId: 'ws_1' },
    { subject: SOURCE_KIND_QUERY, sourceId: 'src_m', workspaceId: 'ws_1' },
    { subject: SOURCE_KIND_QUERY, sourceId: 'src_s', workspaceId: 'ws_2' },
  ]);
});

test('overrides answer first; unknown sources and a missing registry are browsers', async () => {
  const fake = registry((id) => {
    if (id === 'src_gone') throw new DomainError('not_found', 'source.not_found', 'gone');
    throw unavailable('cdp.query.ingestion.source-kind.v1: no responders');
  });
  const lookup = new QuerySourceKindLookup(fake, { src_crm: 'crm' });
  assert.equal(await lookup.kindOf('ws', 'src_crm'), 'crm');
  assert.equal(await lookup.kindOf('ws', 'src_gone'), 'browser');
  assert.equal(await lookup.kindOf('ws', 'src_gone'), 'browser');
  assert.equal(await lookup.kindOf('ws', 'src_x'), 'browser');
  assert.equal(await lookup.kindOf('ws', 'src_x'), 'browser');
  assert.deepEqual(
    fake.asked.map((a) => a.sourceId),
    ['src_gone', 'src_x', 'src_x'],
    'not_found is cached, no registry is asked again',
  );
});

test('a registry that does not answer in time fails the lookup (the batch is retried)', async () => {
  const lookup = new QuerySourceKindLookup(
    registry(() => {
      throw unavailable('cdp.query.ingestion.source-kind.v1: TIMEOUT');
    }),
  );
  await assert.rejects(lookup.kindOf('ws', 'src_s'), (e: unknown) => e instanceof DomainError);
});
