import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBlankLine, parseNdjsonLine } from './ndjson-row';
import { importMessageId, withImportMessageId } from './row-identity';

test('an NDJSON line is one JSON object', () => {
  assert.deepEqual(parseNdjsonLine('{"type":"track","event":"x"}'), {
    event: { type: 'track', event: 'x' },
  });
  const notJson = parseNdjsonLine('{"type":');
  assert.ok('errors' in notJson);
  assert.match(notJson.errors[0]?.message ?? '', /^invalid JSON/);
  assert.deepEqual(parseNdjsonLine('[1,2]'), {
    errors: [{ field: '(line)', message: 'expected a JSON object (one event per line)' }],
  });
  assert.ok('errors' in parseNdjsonLine('null'));
  assert.ok(isBlankLine('  \r'));
  assert.ok(!isBlankLine('{}'));
});

test('messageIds of imported rows are deterministic per (source, line, content)', () => {
  const a = importMessageId('src1', 7, '{"a":1}');
  assert.equal(a, importMessageId('src1', 7, '{"a":1}'));
  assert.match(a, /^imp-[0-9a-f]{32}$/);
  assert.notEqual(a, importMessageId('src2', 7, '{"a":1}'));
  assert.notEqual(a, importMessageId('src1', 8, '{"a":1}'));
  assert.notEqual(a, importMessageId('src1', 7, '{"a":2}'));
  assert.deepEqual(withImportMessageId({ messageId: 'own' }, 's', 1, 'x'), { messageId: 'own' });
  assert.equal(
    withImportMessageId({ messageId: '' }, 's', 1, 'x').messageId,
    importMessageId('s', 1, 'x'),
  );
});
