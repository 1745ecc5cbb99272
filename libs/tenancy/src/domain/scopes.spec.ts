import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ALL_SCOPES,
  hasAllScopes,
  hasScope,
  isScope,
  missingScopes,
  normalizeScopes,
  SCOPE_AREAS,
  type Scope,
} from './scopes';

void describe('scopes', () => {
  void it('has admin plus read/write for each of the ten areas', () => {
    assert.equal(SCOPE_AREAS.length, 10);
    assert.equal(ALL_SCOPES.length, 21);
    assert.ok(
      isScope('profiles:read') &&
        isScope('crm:write') &&
        isScope('admin') &&
        isScope('privacy:write'),
    );
    assert.ok(
      !isScope('profiles:delete') && !isScope('billing:read') && !isScope('ADMIN') && !isScope(42),
    );
  });

  void it('admin implies every scope', () => {
    for (const scope of ALL_SCOPES) assert.equal(hasScope(['admin'], scope), true, scope);
  });

  void it('write implies read of the same area, not the reverse, not other areas', () => {
    assert.equal(hasScope(['crm:write'], 'crm:read'), true);
    assert.equal(hasScope(['crm:read'], 'crm:write'), false);
    assert.equal(hasScope(['crm:write'], 'profiles:read'), false);
    assert.equal(hasScope(['profiles:read'], 'profiles:read'), true);
  });

  void it('nothing but admin implies admin', () => {
    const all = ALL_SCOPES.filter((s) => s !== 'admin');
    assert.equal(hasScope(all, 'admin'), false);
  });

  void it('a granted scope is always covered, and covering is monotonic (property)', () => {
    const scope = fc.constantFrom(...ALL_SCOPES);
    fc.assert(
      fc.property(fc.array(scope), fc.array(scope), scope, (granted, extra, required) => {
        for (const s of granted) assert.ok(hasScope(granted, s));
        if (hasScope(granted, required)) assert.ok(hasScope([...granted, ...extra], required));
        // normalization never changes what a set of scopes grants
        assert.equal(hasScope(normalizeScopes(granted), required), hasScope(granted, required));
      }),
    );
  });

  void it('normalizes: dedupe, sort, drop reads implied by writes, admin absorbs all', () => {
    assert.deepEqual(normalizeScopes(['profiles:read', 'crm:write', 'crm:read', 'profiles:read']), [
      'crm:write',
      'profiles:read',
    ]);
    assert.deepEqual(normalizeScopes(['crm:write', 'admin']), ['admin']);
  });

  void it('reports which requested scopes a key may not delegate', () => {
    const granted: Scope[] = ['keys:write', 'profiles:write'];
    assert.deepEqual(missingScopes(granted, ['profiles:read', 'admin', 'crm:read']), [
      'admin',
      'crm:read',
    ]);
    assert.equal(hasAllScopes(granted, ['keys:read', 'profiles:read']), true);
    assert.equal(hasAllScopes(granted, []), true);
  });
});
