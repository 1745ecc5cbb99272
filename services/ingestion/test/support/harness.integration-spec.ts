import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startIngestion, type IngestionHarness } from './harness';

let harness: IngestionHarness;
before(async () => {
  harness = await startIngestion();
});
after(() => harness.close());

test('the harness boots ingestion ready, with a workspace whose admin key works', async () => {
  const ready = await fetch(`${harness.url}/health/ready`);
  assert.equal(ready.status, 200);
  const keys = await harness.api('/v1/api-keys');
  assert.equal(keys.status, 200);
});
