import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '@cdp/contracts';
import { hashSecret, LocalKeyChangeBus, ManualClock } from '@cdp/tenancy';
import { formatWriteKey, generateWriteKeyId, generateWriteKeySecret } from '../domain/write-key';
import { type WriteKeyRecord, type WriteKeyRepository } from './ports';
import { SourceWriteKeyVerifier } from './source-write-key-verifier';

/** Only what the verifier uses; every other method fails loudly. */
class FakeKeys implements Pick<WriteKeyRepository, 'findForVerification'> {
  readonly records = new Map<string, WriteKeyRecord>();
  reads = 0;
  findForVerification(keyId: string): Promise<WriteKeyRecord | undefined> {
    this.reads++;
    return Promise.resolve(this.records.get(keyId));
  }
}

function setup() {
  const keys = new FakeKeys();
  const bus = new LocalKeyChangeBus();
  const clock = new ManualClock(new Date('2025-01-01T00:00:00Z'));
  const verifier = new SourceWriteKeyVerifier(keys as unknown as WriteKeyRepository, bus, clock);
  const id = generateWriteKeyId();
  const secret = generateWriteKeySecret();
  const record: WriteKeyRecord = {
    key: {
      id,
      workspaceId: 'ws',
      sourceId: 'src',
      secretHash: hashSecret(secret),
      createdAt: clock.now(),
      expiresAt: null,
      revokedAt: null,
      rotatedAt: null,
      graceUntil: null,
      replacedBy: null,
      rotatedFrom: null,
    },
    source: { id: 'src', kind: 'mobile', enabled: true },
  };
  keys.records.set(id, record);
  return { keys, bus, clock, verifier, record, plaintext: formatWriteKey(id, secret) };
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    assert.ok(error instanceof DomainError);
    return error.code;
  }
}

test('verifies from the cache after one read; unknown and wrong secrets look alike', async () => {
  const { keys, verifier, plaintext } = setup();
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(await verifier.verify(plaintext), {
      workspaceId: 'ws',
      sourceId: 'src',
      writeKeyId: plaintext.slice(3, 27),
      sourceKind: 'mobile',
    });
  }
  assert.equal(keys.reads, 1);
  // Another last character (not always 'A': a secret that ends in 'A' would stay valid).
  const wrongSecret = `${plaintext.slice(0, -1)}${plaintext.endsWith('A') ? 'B' : 'A'}`;
  assert.equal(await code(verifier.verify(wrongSecret)), 'auth.invalid_write_key');
  const unknown = formatWriteKey(generateWriteKeyId(), generateWriteKeySecret());
  assert.equal(await code(verifier.verify(unknown)), 'auth.invalid_write_key');
  assert.equal(await code(verifier.verify('')), 'auth.missing_write_key');
});

test('a change on the bus drops the cached record: revoked, disabled, grace over', async () => {
  const { keys, bus, clock, verifier, record, plaintext } = setup();
  await verifier.verify(plaintext);
  keys.records.set(record.key.id, { ...record, source: { ...record.source, enabled: false } });
  assert.equal(await code(verifier.verify(plaintext)), 'accepted', 'cached until told');
  await bus.publish({ workspaceId: 'ws', keyId: record.key.id, change: 'owner_changed' });
  assert.equal(await code(verifier.verify(plaintext)), 'auth.source_disabled');

  keys.records.set(record.key.id, { ...record, key: { ...record.key, revokedAt: clock.now() } });
  await bus.publish({ workspaceId: 'ws', keyId: record.key.id, change: 'revoked' });
  assert.equal(await code(verifier.verify(plaintext)), 'auth.write_key_revoked');

  const graceUntil = new Date(clock.now().getTime() + 1000);
  keys.records.set(record.key.id, {
    ...record,
    key: { ...record.key, rotatedAt: clock.now(), graceUntil, replacedBy: 'next' },
  });
  await bus.publish({ workspaceId: 'ws', keyId: record.key.id, change: 'rotated' });
  assert.equal(await code(verifier.verify(plaintext)), 'accepted');
  clock.advance(1000);
  assert.equal(await code(verifier.verify(plaintext)), 'auth.write_key_expired', 'no read needed');
});
