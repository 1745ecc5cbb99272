import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDataError } from './clickhouse-event-store';

void test('parse and type errors are data errors; connection, timeout and overload are not', () => {
  const clickhouse = (code: string, type: string) => Object.assign(new Error(type), { code, type });
  assert.equal(isDataError(clickhouse('117', 'INCORRECT_DATA')), true);
  assert.equal(isDataError(clickhouse('27', 'CANNOT_PARSE_INPUT_ASSERTION_FAILED')), true);
  assert.equal(isDataError(clickhouse('41', 'CANNOT_PARSE_DATETIME')), true);
  assert.equal(isDataError(clickhouse('159', 'TIMEOUT_EXCEEDED')), false);
  assert.equal(isDataError(clickhouse('241', 'MEMORY_LIMIT_EXCEEDED')), false);
  assert.equal(isDataError(clickhouse('252', 'TOO_MANY_PARTS')), false);
  assert.equal(isDataError(clickhouse('60', 'UNKNOWN_TABLE')), false);
  assert.equal(isDataError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })), false);
  assert.equal(isDataError(new DOMException('timed out', 'TimeoutError')), false);
  assert.equal(isDataError('boom'), false);
});
