import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiKeyStatus, isUsable, planRotation, usableUntil, type ApiKey } from './api-key';

const HOUR = 3_600_000;
const t0 = new Date(Date.UTC(2025, 0, 1));
const at = (ms: number) => new Date(t0.getTime() + ms);

function key(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: 'a'.repeat(24),
    workspaceId: '00000000-0000-4000-8000-000000000001',
    name: 'k',
    scopes: ['admin'],
    secretHash: 'h',
    createdAt: t0,
    expiresAt: null,
    revokedAt: null,
    rotatedAt: null,
    graceUntil: null,
    replacedBy: null,
    rotatedFrom: null,
    ...overrides,
  };
}

void describe('API key states', () => {
  void it('an untouched key is active forever', () => {
    assert.equal(apiKeyStatus(key(), at(10_000 * HOUR)), 'active');
    assert.equal(usableUntil(key()), null);
  });

  void it('a revoked key is rejected at once, whatever else is set', () => {
    assert.equal(
      apiKeyStatus(key({ revokedAt: t0, replacedBy: 'b'.repeat(24), graceUntil: at(HOUR) }), t0),
      'revoked',
    );
  });

  void it('expires at expiresAt (the instant itself is expired)', () => {
    const k = key({ expiresAt: at(HOUR) });
    assert.equal(apiKeyStatus(k, at(HOUR - 1)), 'active');
    assert.equal(apiKeyStatus(k, at(HOUR)), 'expired');
  });
});

void describe('rotation grace', () => {
  void it('old key stays valid during the default 24 h grace, then is rejected', () => {
    const decision = planRotation(key(), t0);
    assert.ok(decision.ok);
    assert.deepEqual(decision.graceUntil, at(24 * HOUR));
    const rotated = key({
      rotatedAt: decision.rotatedAt,
      graceUntil: decision.graceUntil,
      replacedBy: 'b'.repeat(24),
    });
    assert.equal(apiKeyStatus(rotated, at(24 * HOUR - 1)), 'rotated');
    assert.equal(isUsable(rotated, at(24 * HOUR - 1)), true);
    assert.equal(apiKeyStatus(rotated, at(24 * HOUR)), 'expired');
    assert.equal(isUsable(rotated, at(24 * HOUR)), false);
  });

  void it('a grace of 0 rejects the old key immediately', () => {
    const decision = planRotation(key(), t0, 0);
    assert.ok(decision.ok);
    const rotated = key({ graceUntil: decision.graceUntil, replacedBy: 'b'.repeat(24) });
    assert.equal(isUsable(rotated, t0), false);
  });

  void it('grace never extends a key beyond its own expiry', () => {
    const decision = planRotation(key({ expiresAt: at(HOUR) }), t0, 24 * HOUR);
    assert.ok(decision.ok);
    assert.deepEqual(decision.graceUntil, at(HOUR));
  });

  void it('only an active key can be rotated', () => {
    assert.deepEqual(planRotation(key({ revokedAt: t0 }), t0), { ok: false, reason: 'revoked' });
    assert.deepEqual(planRotation(key({ expiresAt: t0 }), t0), { ok: false, reason: 'expired' });
    assert.deepEqual(planRotation(key({ replacedBy: 'b'.repeat(24), graceUntil: at(HOUR) }), t0), {
      ok: false,
      reason: 'already_rotated',
    });
  });

  void it('refuses a negative grace', () => {
    assert.throws(() => planRotation(key(), t0, -1), RangeError);
  });
});
