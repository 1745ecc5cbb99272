import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitLines, type TextLine } from './ndjson-lines';

async function lines(chunks: (string | Buffer)[], max = 100): Promise<TextLine[]> {
  const out: TextLine[] = [];
  async function* source() {
    await Promise.resolve();
    yield* chunks;
  }
  for await (const line of splitLines(source(), max)) out.push(line);
  return out;
}

test('lines split across chunks are joined and numbered from 1, CRLF or LF', async () => {
  assert.deepEqual(await lines(['{"a":', '1}\r\n{"b"', ':2}\n', '\n{"c":3}']), [
    { line: 1, text: '{"a":1}' },
    { line: 2, text: '{"b":2}' },
    { line: 3, text: '' },
    { line: 4, text: '{"c":3}' },
  ]);
});

test('a UTF-8 character split between chunks stays intact', async () => {
  const bytes = Buffer.from('{"name":"Żółw 🐢"}\n');
  const cut = bytes.indexOf(0x9f); // inside the emoji
  assert.deepEqual(await lines([bytes.subarray(0, cut), bytes.subarray(cut)]), [
    { line: 1, text: '{"name":"Żółw 🐢"}' },
  ]);
});

test('a line longer than the limit is reported, not buffered, and the next line is read', async () => {
  const long = 'x'.repeat(60);
  assert.deepEqual(await lines([long, long, '\nok\n'], 100), [
    { line: 1, tooLong: true, bytes: 120 },
    { line: 2, text: 'ok' },
  ]);
});

test('a stream without a final newline still yields its last line; an empty one yields none', async () => {
  assert.deepEqual(await lines(['a\nb']), [
    { line: 1, text: 'a' },
    { line: 2, text: 'b' },
  ]);
  assert.deepEqual(await lines([]), []);
});
