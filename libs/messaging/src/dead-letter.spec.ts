import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDeadLetterHeaders, deadLetterMsgId, deadLetterSubject } from './dead-letter';

const cause = {
  error: 'boom',
  deliveries: 5,
  subject: 'cdp.identity.profile.merged.v1.ws1',
  stream: 'IDENTITY',
  sequence: 42,
  consumer: 'merges',
};

void test('the copy keeps the original headers and adds the cause', () => {
  const h = buildDeadLetterHeaders(
    [
      ['cdp-workspace', ['ws1']],
      ['traceparent', ['00-abc-def-01']],
      ['Nats-Msg-Id', ['ws1:m1']],
      ['Nats-Expected-Stream', ['IDENTITY']],
    ],
    cause,
  );
  const map = new Map(h);
  assert.equal(map.get('cdp-workspace'), 'ws1');
  assert.equal(map.get('traceparent'), '00-abc-def-01');
  assert.equal(map.get('cdp-dlq-msg-id'), 'ws1:m1');
  assert.equal(map.has('Nats-Msg-Id'), false, 'the original msg id would collide with the copy id');
  assert.equal(map.has('Nats-Expected-Stream'), false);
  assert.equal(map.get('cdp-dlq-error'), 'boom');
  assert.equal(map.get('cdp-dlq-deliveries'), '5');
  assert.equal(map.get('cdp-dlq-subject'), cause.subject);
  assert.equal(map.get('cdp-dlq-stream'), 'IDENTITY');
  assert.equal(map.get('cdp-dlq-sequence'), '42');
  assert.equal(map.get('cdp-dlq-consumer'), 'merges');
});

void test('stale cause headers of an earlier dead-lettering are replaced', () => {
  const h = buildDeadLetterHeaders([['cdp-dlq-error', ['old']]], cause);
  assert.deepEqual(
    h.filter(([k]) => k === 'cdp-dlq-error'),
    [['cdp-dlq-error', 'boom']],
  );
});

void test('error texts are made header-safe', () => {
  const h = new Map(
    buildDeadLetterHeaders([], { ...cause, error: 'line1\r\nline2 ' + 'x'.repeat(5000) }),
  );
  const err = h.get('cdp-dlq-error') ?? '';
  assert.ok(!/[\r\n]/.test(err));
  assert.ok(err.startsWith('line1 line2'));
  assert.ok(err.length <= 1024);
  assert.equal(
    new Map(buildDeadLetterHeaders([], { ...cause, error: '' })).get('cdp-dlq-error'),
    'unknown error',
  );
});

void test('dead-letter subject and id are derived from the consumer and the sequence', () => {
  assert.equal(deadLetterSubject('merges'), 'cdp.deadletter.message.failed.v1.merges');
  assert.equal(deadLetterMsgId(cause), 'dlq:IDENTITY:merges:42');
});
