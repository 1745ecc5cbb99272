// Runs .ci/check-proto.mjs against throwaway git repositories holding a copy of proto/ and the
// generated code, so the lint, breaking and freshness checks are proven to fail when they should.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// dist/test/check-proto.integration-spec.js -> repository root
const ROOT = resolve(__dirname, '..', '..', '..', '..');
const GEN = 'libs/contracts/src/gen';
const MERGED = 'proto/cdp/identity/v1/events.proto';

function sh(cwd: string, cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  });
  return { status: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

/** A repository with the module, the generated code and the script; `commit` makes HEAD hold them. */
function scratchRepo(base: string, name: string, commit: boolean): string {
  const dir = join(base, name);
  mkdirSync(join(dir, '.ci'), { recursive: true });
  cpSync(join(ROOT, 'proto'), join(dir, 'proto'), { recursive: true });
  cpSync(join(ROOT, GEN), join(dir, GEN), { recursive: true });
  cpSync(join(ROOT, '.ci', 'check-proto.mjs'), join(dir, '.ci', 'check-proto.mjs'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, '.gitignore'), 'node_modules\n');
  assert.equal(sh(dir, 'git', ['init', '-q', '-b', 'main']).status, 0);
  if (commit) {
    assert.equal(sh(dir, 'git', ['add', '-A']).status, 0);
    assert.equal(sh(dir, 'git', ['commit', '-qm', 'contracts']).status, 0);
  }
  return dir;
}

const check = (dir: string, ...args: string[]) =>
  sh(dir, process.execPath, ['.ci/check-proto.mjs', ...args]);

void describe('.ci/check-proto.mjs', () => {
  let base = '';
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'check-proto-'));
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  void it('passes on the committed module', () => {
    const r = check(scratchRepo(base, 'clean', true));
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /ok {4}proto lint/);
    assert.match(r.out, /ok {4}proto breaking: against HEAD/);
    assert.match(r.out, /ok {4}proto fresh/);
  });

  void it('skips the breaking check before the first commit', () => {
    const r = check(scratchRepo(base, 'empty', false));
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /breaking: skipped: the repository has no commits yet/);
  });

  void it('fails on an incompatible change, and against a ref that does not resolve', () => {
    const dir = scratchRepo(base, 'breaking', true);
    const proto = readFileSync(join(dir, MERGED), 'utf8');
    writeFileSync(
      join(dir, MERGED),
      proto.replace('string surviving_profile_id = 2;', 'int64 surviving_profile_id = 2;'),
    );
    const r = check(dir, '--only=breaking');
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /FAIL {2}proto breaking/);
    assert.match(r.out, /surviving_profile_id.*changed type from "string" to "int64"/);
    const missing = check(dir, '--only=breaking', '--against=origin/main');
    assert.equal(missing.status, 1, missing.out);
    assert.match(missing.out, /"origin\/main" does not resolve/);
  });

  void it('fails on lint errors', () => {
    const dir = scratchRepo(base, 'lint', true);
    appendFileSync(join(dir, MERGED), '\nenum Colour {\n  RED = 0;\n}\n');
    const r = check(dir, '--only=lint');
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /FAIL {2}proto lint/);
    assert.match(r.out, /RED/);
  });

  void it('lists stale, missing and extra generated files with the command to regenerate', () => {
    const dir = scratchRepo(base, 'stale', true);
    appendFileSync(join(dir, GEN, 'cdp/crm/v1/events_pb.ts'), '// hand edit\n');
    rmSync(join(dir, GEN, 'cdp/privacy/v1/events_pb.ts'));
    writeFileSync(join(dir, GEN, 'cdp/old_pb.ts'), '');
    const r = check(dir, '--only=fresh');
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /stale {4}libs\/contracts\/src\/gen\/cdp\/crm\/v1\/events_pb\.ts/);
    assert.match(r.out, /missing {2}libs\/contracts\/src\/gen\/cdp\/privacy\/v1\/events_pb\.ts/);
    assert.match(r.out, /extra {4}libs\/contracts\/src\/gen\/cdp\/old_pb\.ts/);
    assert.match(r.out, /npm run proto:generate/);
  });
});
