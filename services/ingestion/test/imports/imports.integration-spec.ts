import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { startImportHarness, type ImportHarness } from './support/import-harness';

interface Job {
  id: string;
  status: string;
  rowsRead: number;
  accepted: number;
  rejected: number;
  lastLine: number;
  bytesRead: number;
  error: { code: string; resumeAfterLine: number } | null;
  rejections?: { line: number; reasons: { field: string; message: string }[] }[];
}

let h: ImportHarness;
let SOURCE: string;
before(async () => {
  h = await startImportHarness({ IMPORT_CHUNK_ROWS: '10', IMPORT_PROGRESS_INTERVAL_MS: '50' });
  SOURCE = await h.createSource();
});
after(() => h.close());

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  return JSON.parse(text) as T;
}

function upload(
  path: string,
  body: string | Uint8Array | ReadableStream,
  contentType: string,
  method = 'POST',
) {
  return h.api(path, {
    method,
    body,
    headers: { 'content-type': contentType },
    ...({ duplex: 'half' } as object),
  });
}

test('a CSV with good and bad rows: good rows accepted, bad ones reported by line with reasons', async () => {
  const csv = [
    'user_id,email,plan,amount',
    'u1,a@example.com,pro,10',
    ',,free,3', // line 3: no id
    'u3,c@example.com,"multi',
    'line",x', // lines 4-5: amount not a number
    'u4,d@example.com,basic', // line 6: wrong column count
    'u5,e@example.com,pro,7',
  ].join('\n');
  const mapping = encodeURIComponent(
    JSON.stringify({ columns: { amount: { target: 'traits.amount', type: 'number' } } }),
  );
  const response = await upload(
    `/v1/imports?sourceId=${SOURCE}&mapping=${mapping}`,
    csv,
    'text/csv',
  );
  const job = await json<Job>(response, 201);
  assert.equal(response.headers.get('x-import-id'), job.id);
  assert.equal(job.status, 'completed');
  assert.deepEqual([job.rowsRead, job.accepted, job.rejected, job.lastLine], [5, 2, 3, 7]);
  const detail = await json<Job>(await h.api(`/v1/imports/${job.id}`), 200);
  assert.deepEqual(
    detail.rejections?.map((r) => [r.line, r.reasons[0]?.field]),
    [
      [3, 'userId'],
      [4, 'amount'],
      [6, '(row)'],
    ],
  );
  assert.match(detail.rejections?.[0]?.reasons[0]?.message ?? '', /anonymousId/);
  assert.match(detail.rejections?.[2]?.reasons[0]?.message ?? '', /expected 4 columns, got 3/);
  // The rows went through the real collector, as the import source of this job.
  assert.deepEqual(h.collector.sources.at(-1), {
    workspaceId: h.tenant.workspaceId,
    sourceId: SOURCE,
    writeKeyId: `import:${job.id}`,
    sourceKind: 'import',
  });
});

test('NDJSON (gzipped): invalid JSON, non-objects and invalid events are rejected by line; blank lines skipped', async () => {
  const lines = [
    JSON.stringify({ type: 'track', event: 'Viewed', userId: 'n1', properties: { p: 1 } }),
    '{"type":"track",', // 2: truncated
    '',
    '[1,2]', // 4
    JSON.stringify({ type: 'identify', traits: { a: 1 } }), // 5: no id
    JSON.stringify({ type: 'identify', userId: 'n2', messageId: 'own-id-1' }),
  ];
  const job = await json<Job>(
    await upload(
      `/v1/imports?sourceId=${SOURCE}`,
      gzipSync(lines.join('\n') + '\n'),
      'application/x-ndjson',
    ),
    201,
  );
  assert.deepEqual([job.rowsRead, job.accepted, job.rejected], [5, 2, 3]);
  const detail = await json<Job>(await h.api(`/v1/imports/${job.id}`), 200);
  assert.deepEqual(
    detail.rejections?.map((r) => r.line),
    [2, 4, 5],
  );
  assert.ok(h.collector.acceptedIds.has('own-id-1'), 'an own messageId is kept');
});

test('two steps: progress is visible while the file streams; re-importing the file yields the same messageIds', async () => {
  const created = await json<Job>(
    await h.api('/v1/imports', {
      method: 'POST',
      body: JSON.stringify({ sourceId: SOURCE, format: 'ndjson' }),
    }),
    201,
  );
  assert.equal(created.status, 'queued');
  const rows = 200;
  let release!: () => void;
  const halfway = new Promise<void>((resolve) => (release = resolve));
  async function* slowFile() {
    for (let i = 1; i <= rows; i++) {
      if (i === rows / 2 + 1) await halfway;
      yield `{"type":"track","event":"E","userId":"p${i}"}\n`;
    }
  }
  const before = new Set(h.collector.acceptedIds);
  const uploading = upload(
    `/v1/imports/${created.id}/data`,
    Readable.toWeb(Readable.from(slowFile())) as ReadableStream,
    'application/x-ndjson',
    'PUT',
  );
  let seen: Job | undefined;
  for (let i = 0; i < 100; i++) {
    seen = await json<Job>(await h.api(`/v1/imports/${created.id}`), 200);
    if (seen.rowsRead >= rows / 2) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(seen?.status, 'running');
  assert.ok((seen?.rowsRead ?? 0) >= rows / 2 && (seen?.rowsRead ?? 0) < rows, `${seen?.rowsRead}`);
  release();
  const done = await json<Job>(await uploading, 200);
  assert.deepEqual([done.status, done.accepted, done.rejected], ['completed', rows, 0]);
  const firstIds = [...h.collector.acceptedIds].filter((id) => !before.has(id));
  assert.equal(firstIds.length, rows);

  // A completed job refuses more data; the same file as a new import gives the same ids.
  const again = await upload(
    `/v1/imports/${created.id}/data`,
    'x\n',
    'application/x-ndjson',
    'PUT',
  );
  assert.equal(again.status, 409);
  await again.text();
  const sizeBefore = h.collector.acceptedIds.size;
  let text = '';
  for await (const chunk of slowFile()) text += chunk;
  release();
  const second = await json<Job>(
    await upload(`/v1/imports?sourceId=${SOURCE}`, text, 'application/x-ndjson'),
    201,
  );
  assert.equal(second.accepted, rows);
  assert.equal(
    h.collector.acceptedIds.size,
    sizeBefore,
    'no new messageIds: the writer dedups them',
  );
  const list = await json<{ data: Job[] }>(await h.api('/v1/imports'), 200);
  assert.ok(list.data.some((j) => j.id === created.id));
});

test('a collector failure fails the job at the line reached; resuming skips what was done', async () => {
  const rows = 100;
  const file = Array.from(
    { length: rows },
    (_, i) => `{"type":"track","event":"R","userId":"r${i + 1}"}`,
  ).join('\n');
  const created = await json<Job>(
    await h.api('/v1/imports', {
      method: 'POST',
      body: JSON.stringify({ sourceId: SOURCE, format: 'ndjson' }),
    }),
    201,
  );
  h.collector.calls = 0;
  h.collector.failFromCall = 4; // chunks of 10: 30 rows go through, then NATS "fails"
  const failed = await upload(
    `/v1/imports/${created.id}/data`,
    file,
    'application/x-ndjson',
    'PUT',
  );
  const error = await json<{
    error: { code: string; details: { resumeAfterLine: number; jobId: string } };
  }>(failed, 503);
  assert.equal(failed.headers.get('retry-after'), '2');
  assert.equal(error.error.code, 'ingestion.publish_failed');
  assert.deepEqual(error.error.details.resumeAfterLine, 30);
  const state = await json<Job>(await h.api(`/v1/imports/${created.id}`), 200);
  assert.deepEqual(
    [state.status, state.accepted, state.lastLine, state.error?.resumeAfterLine],
    ['failed', 30, 30, 30],
  );

  h.collector.failFromCall = undefined;
  h.collector.calls = 0;
  const resumed = await json<Job>(
    await upload(
      `/v1/imports/${created.id}/data?skipLines=30`,
      file,
      'application/x-ndjson',
      'PUT',
    ),
    200,
  );
  assert.deepEqual(
    [resumed.status, resumed.rowsRead, resumed.accepted, resumed.error],
    ['completed', rows, rows, null],
  );
  assert.equal(h.collector.calls, 7, 'only the 70 remaining rows were sent');
});

test("another workspace's import is a 404 on every route; scopes are enforced", async () => {
  const created = await json<Job>(
    await h.api('/v1/imports', {
      method: 'POST',
      body: JSON.stringify({ sourceId: SOURCE, format: 'csv' }),
    }),
    201,
  );
  const other = await h.newTenant();
  const asOther = { key: other.adminKey };
  const got = await h.api(`/v1/imports/${created.id}`, asOther);
  assert.equal(got.status, 404);
  assert.equal(((await got.json()) as { error: { code: string } }).error.code, 'import.not_found');
  const put = await h.api(`/v1/imports/${created.id}/data`, {
    ...asOther,
    method: 'PUT',
    body: 'a,b\n',
    headers: { 'content-type': 'text/csv' },
  });
  assert.equal(put.status, 404);
  await put.text();
  const list = await json<{ data: Job[] }>(await h.api('/v1/imports', asOther), 200);
  assert.equal(list.data.length, 0);
  // Another workspace's source cannot be targeted either.
  const foreign = await h.api('/v1/imports', {
    ...asOther,
    method: 'POST',
    body: JSON.stringify({ sourceId: SOURCE, format: 'csv' }),
  });
  assert.equal(foreign.status, 404);
  await foreign.text();

  const keyResponse = await h.api('/v1/api-keys', {
    method: 'POST',
    body: JSON.stringify({ name: 'reader', scopes: ['events:read'] }),
  });
  const reader = (await keyResponse.json()) as { key: string };
  assert.equal((await h.api(`/v1/imports/${created.id}`, { key: reader.key })).status, 200);
  const forbidden = await h.api('/v1/imports', {
    key: reader.key,
    method: 'POST',
    body: JSON.stringify({ sourceId: SOURCE, format: 'csv' }),
  });
  assert.equal(forbidden.status, 403);
  await forbidden.text();
});

test('bad requests get a 4xx naming the problem', async () => {
  const badMapping = await upload(
    `/v1/imports?sourceId=${SOURCE}&mapping=${encodeURIComponent('{"columns":{"nope":"userId"}}')}`,
    'user_id\nu1\n',
    'text/csv',
  );
  const body = await json<{ error: { code: string; message: string } }>(badMapping, 400);
  assert.equal(body.error.code, 'import.mapping_invalid');
  assert.match(body.error.message, /mapping\.columns\.nope/);
  const notJson = await upload(`/v1/imports?sourceId=${SOURCE}&mapping=%7B`, 'a\n', 'text/csv');
  assert.equal(
    (await json<{ error: { code: string } }>(notJson, 400)).error.code,
    'request.invalid',
  );
  const unknownSource = await upload('/v1/imports?sourceId=nope', 'a\n', 'text/csv');
  assert.equal(unknownSource.status, 404);
  await unknownSource.text();
  const badBody = await h.api('/v1/imports', {
    method: 'POST',
    body: JSON.stringify({ format: 'xml' }),
  });
  assert.equal(badBody.status, 400);
  await badBody.text();
});

test('the import limit stops an oversized upload with 413 (not the 1 MiB HTTP bodyLimit)', async () => {
  const big =
    `${JSON.stringify({ type: 'track', event: 'B', userId: 'b', properties: { pad: 'x'.repeat(200) } })}\n`.repeat(
      8000,
    ); // ~1.9 MB: over Fastify's bodyLimit, under the import limit of this test
  const ok = await json<Job>(
    await upload(`/v1/imports?sourceId=${SOURCE}`, big, 'application/x-ndjson'),
    201,
  );
  assert.equal(ok.accepted, 8000);
});
