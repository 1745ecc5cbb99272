import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { extractApiKey } from './api-key.guard';

void describe('extracting the presented key', () => {
  void it('reads Authorization: Bearer (any case) first, then x-api-key', () => {
    assert.equal(extractApiKey({ headers: { authorization: 'Bearer abc' } }), 'abc');
    assert.equal(extractApiKey({ headers: { authorization: 'bearer   abc ' } }), 'abc');
    assert.equal(extractApiKey({ headers: { 'x-api-key': ' abc ' } }), 'abc');
    assert.equal(
      extractApiKey({ headers: { authorization: 'Bearer one', 'x-api-key': 'two' } }),
      'one',
    );
  });

  void it('ignores other schemes and empty values', () => {
    assert.equal(extractApiKey({ headers: { authorization: 'Basic dXNlcjpwYXNz' } }), undefined);
    assert.equal(extractApiKey({ headers: { authorization: 'Bearer' } }), undefined);
    assert.equal(extractApiKey({ headers: { 'x-api-key': '' } }), undefined);
    assert.equal(extractApiKey({ headers: {} }), undefined);
    assert.equal(extractApiKey({ headers: { authorization: 'Basic x', 'x-api-key': 'k' } }), 'k');
  });
});
