import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startImportHarness, type ImportHarness } from './support/import-harness';

let h: ImportHarness;
let SOURCE: string;
before(async () => {
  h = await startImportHarness({ IMPORT_MAX_BYTES: '100000' });
  SOURCE = await h.createSource();
});
after(() => h.close());

test('an upload over IMPORT_MAX_BYTES fails with 413 and the job records where it stopped', async () => {
  const line = `${JSON.stringify({ type: 'track', event: 'B', userId: 'b' })}\n`;
  const response = await h.api(`/v1/imports?sourceId=${SOURCE}`, {
    method: 'POST',
    body: line.repeat(5000),
    headers: { 'content-type': 'application/x-ndjson' },
  });
  const body = (await response.json()) as { error: { code: string; details: { jobId: string } } };
  assert.equal(response.status, 413);
  assert.equal(body.error.code, 'import.too_large');
  const job = (await (await h.api(`/v1/imports/${body.error.details.jobId}`)).json()) as {
    status: string;
    accepted: number;
  };
  assert.equal(job.status, 'failed');
  assert.ok(job.accepted > 0 && job.accepted < 5000);
});
