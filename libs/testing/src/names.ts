import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A name unique to this test run, safe for databases, schemas and NATS namespaces. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`.toLowerCase();
}

/** A fresh temporary directory (embedded ClickHouse allows one per process). */
export function tempDir(prefix = 'cdp-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
