import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectServices } from './select-services';

test('all services by default', () => {
  assert.equal(selectServices([], undefined).length, 6);
  assert.equal(selectServices([], 'all').length, 6);
});

test('the flag wins over the environment and order is canonical', () => {
  assert.deepEqual(selectServices(['--services=crm,ingestion'], 'identity'), ['ingestion', 'crm']);
  assert.deepEqual(selectServices([], ' profile , identity '), ['identity', 'profile']);
});

test('an unknown service is named in the error', () => {
  assert.throws(
    () => selectServices(['--services=ingestion,billing'], undefined),
    /unknown service\(s\) "billing" in --services/,
  );
});
