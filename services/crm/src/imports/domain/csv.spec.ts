import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { headerKey, parseCsv } from './csv';

describe('CSV parsing (RFC 4180)', () => {
  test('quotes, doubled quotes, commas and line breaks inside quotes keep their line numbers', () => {
    const result = parseCsv(
      '\uFEFFemail,notes\r\na@x.example,"likes ""red"", fast"\r\nb@x.example,"two\nlines"\n\nc@x.example,\n',
    );
    assert.ok(result.ok);
    assert.deepEqual(result.rows, [
      { line: 1, cells: ['email', 'notes'] },
      { line: 2, cells: ['a@x.example', 'likes "red", fast'] },
      { line: 3, cells: ['b@x.example', 'two\nlines'] },
      { line: 6, cells: ['c@x.example', ''] },
    ]);
  });

  test('an unclosed quote is reported with the line it starts on', () => {
    assert.deepEqual(parseCsv('email\n"a@x.example\n'), {
      ok: false,
      line: 2,
      message: 'a quoted field is not closed',
    });
    assert.deepEqual(parseCsv('a,b\nx"y",z'), {
      ok: false,
      line: 2,
      message: 'a quote inside an unquoted field',
    });
  });

  test('a last row without a line break is kept', () => {
    const result = parseCsv('name\nAcme');
    assert.ok(result.ok);
    assert.deepEqual(result.rows.at(-1), { line: 2, cells: ['Acme'] });
  });

  test('headers match fields whatever their spelling', () => {
    assert.equal(headerKey(' First Name '), 'firstname');
    assert.equal(headerKey('first_name'), 'firstname');
    assert.equal(headerKey('E-Mail'), 'email');
  });
});
