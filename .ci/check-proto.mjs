#!/usr/bin/env node
// Checks the contracts in proto/ and the TypeScript generated from them:
//   1. lint      buf lint proto (STANDARD, proto/buf.yaml)
//   2. breaking  buf breaking proto against proto/ of a git ref (FILE rules); by default HEAD when
//                proto/ has uncommitted changes, else HEAD~1 (the last commit is checked too),
//                so uncommitted edits are checked locally. In CI pass the base branch:
//                --against=origin/main (or PROTO_AGAINST_REF=origin/main). Skipped with a
//                message when the repo has no commits or the ref has no proto/ yet.
//   3. fresh     buf generate into a temp dir, byte-compared with the committed output
//                (libs/contracts/src/gen): no hand edits, no forgotten regeneration.
// Usage: node .ci/check-proto.mjs [--against=<git-ref>] [--only=lint,breaking,fresh]
// Runs offline (local protoc-gen-es plugin, no BSR). Exits 1 if any check fails, 2 on bad usage.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PROTO_DIR = 'proto';
const TEMPLATE = `${PROTO_DIR}/buf.gen.yaml`;
const REGENERATE = `npm run proto:generate   (= npx buf generate ${PROTO_DIR} --template ${TEMPLATE})`;
const CHECKS = ['lint', 'breaking', 'fresh'];

function parseArgs(argv) {
  const opts = { against: process.env.PROTO_AGAINST_REF || defaultBase(), only: CHECKS };
  for (const arg of argv) {
    const [key, value] = arg.split(/=(.*)/s, 2);
    if (key === '--against' && value) opts.against = value;
    else if (key === '--only' && value) opts.only = value.split(',');
    else {
      console.error(
        `unknown argument "${arg}"\nusage: node .ci/check-proto.mjs [--against=<git-ref>] [--only=${CHECKS.join(',')}]`,
      );
      process.exit(2);
    }
  }
  const unknown = opts.only.filter((c) => !CHECKS.includes(c));
  if (unknown.length > 0) {
    console.error(`unknown check(s) ${unknown.join(', ')} (expected ${CHECKS.join(', ')})`);
    process.exit(2);
  }
  return opts;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { status: 127, out: `cannot run ${cmd}: ${r.error.message}` };
  return { status: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** The buf binary installed by @bufbuild/buf (no npx: faster, no npm noise), else buf on PATH. */
function bufBin() {
  const local = join(
    ROOT,
    'node_modules',
    '.bin',
    process.platform === 'win32' ? 'buf.cmd' : 'buf',
  );
  return existsSync(local) ? local : 'buf';
}

const buf = (...args) => run(bufBin(), args);
const git = (...args) => run('git', args);

// Each check returns { ok: true, note? } | { ok: false, message }.
function checkLint() {
  const r = buf('lint', PROTO_DIR);
  return r.status === 0
    ? { ok: true }
    : { ok: false, message: `buf lint ${PROTO_DIR} failed:\n${r.out}` };
}

/**
 * "The last commit": uncommitted proto changes are compared with HEAD; on a clean tree (CI on a
 * fresh clone) HEAD itself is compared with its parent, so the newest commit is checked too.
 */
function defaultBase() {
  const dirty = git('status', '--porcelain', '--', `${PROTO_DIR}/`);
  if (dirty.status !== 0 || dirty.out.trim() !== '') return 'HEAD';
  return git('rev-parse', '--verify', '--quiet', 'HEAD~1^{commit}').status === 0
    ? 'HEAD~1'
    : 'HEAD';
}

function checkBreaking(ref) {
  if (git('rev-parse', '--is-inside-work-tree').status !== 0)
    return { ok: true, note: 'skipped: not a git work tree' };
  if (git('rev-parse', '--verify', '--quiet', 'HEAD^{commit}').status !== 0) {
    return { ok: true, note: 'skipped: the repository has no commits yet' };
  }
  if (git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`).status !== 0) {
    // An explicit base that does not resolve is a CI misconfiguration (e.g. a shallow clone
    // without the base branch): fail rather than pass silently.
    return {
      ok: false,
      message: `git ref "${ref}" does not resolve to a commit (fetch it first, e.g. git fetch origin main)`,
    };
  }
  const files = git('ls-tree', '-r', '--name-only', ref, '--', `${PROTO_DIR}/`);
  if (!files.out.split('\n').some((f) => f.endsWith('.proto'))) {
    return {
      ok: true,
      note: `skipped: ${PROTO_DIR}/ has no .proto files at ${ref} (nothing to be compatible with yet)`,
    };
  }
  // buf's git input reads the repository's object store: `.git` in a normal clone, the common
  // git dir in a linked worktree (where `.git` is a file); `ref=` takes any commit-ish.
  const gitDir = git('rev-parse', '--path-format=absolute', '--git-common-dir');
  if (gitDir.status !== 0)
    return { ok: false, message: `git rev-parse --git-common-dir failed:\n${gitDir.out}` };
  const commit = git('rev-parse', `${ref}^{commit}`).out;
  const against = `${gitDir.out}#format=git,ref=${commit},subdir=${PROTO_DIR}`;
  const r = buf('breaking', PROTO_DIR, '--against', against);
  if (r.status === 0) return { ok: true, note: `against ${ref} (${commit.slice(0, 12)})` };
  return {
    ok: false,
    message:
      `buf breaking ${PROTO_DIR} --against '${against}' failed:\n${r.out}\n` +
      'A published contract cannot change incompatibly: add a field/message instead, or a new package version (cdp.<context>.v2).',
  };
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** `out` directories of buf.gen.yaml (small parser: `out:` keys under plugins). */
function outputDirs() {
  const template = readFileSync(join(ROOT, TEMPLATE), 'utf8');
  const dirs = [...template.matchAll(/^\s*-?\s*out:\s*['"]?([^'"#\s]+)['"]?\s*(?:#.*)?$/gm)].map(
    (m) => m[1],
  );
  if (dirs.length === 0) throw new Error(`no "out:" in ${TEMPLATE}`);
  return [...new Set(dirs)];
}

function checkFresh() {
  const tmp = mkdtempSync(join(tmpdir(), 'cdp-proto-'));
  try {
    const r = buf('generate', PROTO_DIR, '--template', TEMPLATE, '-o', tmp);
    if (r.status !== 0) return { ok: false, message: `buf generate failed:\n${r.out}` };
    const problems = [];
    for (const out of outputDirs()) {
      const fresh = join(tmp, out);
      const committed = join(ROOT, out);
      const freshFiles = listFiles(fresh);
      const committedFiles = new Set(listFiles(committed));
      for (const f of freshFiles) {
        if (!committedFiles.has(f)) problems.push(`  missing  ${out}/${f}`);
        else if (!readFileSync(join(fresh, f)).equals(readFileSync(join(committed, f))))
          problems.push(`  stale    ${out}/${f}`);
        committedFiles.delete(f);
      }
      for (const f of committedFiles)
        problems.push(`  extra    ${out}/${f} (no proto generates it)`);
    }
    if (problems.length === 0) return { ok: true };
    return {
      ok: false,
      message: `generated code differs from a fresh buf generate:\n${problems.join('\n')}\nregenerate with: ${REGENERATE}`,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const opts = parseArgs(process.argv.slice(2));
if (!existsSync(join(ROOT, PROTO_DIR, 'buf.yaml'))) {
  console.error(`${PROTO_DIR}/buf.yaml not found under ${ROOT}`);
  process.exit(1);
}
const version = buf('--version');
if (version.status !== 0) {
  console.error(`buf is not runnable (${bufBin()}): ${version.out}\nrun npm ci first`);
  process.exit(1);
}

const impl = { lint: checkLint, breaking: () => checkBreaking(opts.against), fresh: checkFresh };
let failed = 0;
for (const name of opts.only) {
  let result;
  try {
    result = impl[name]();
  } catch (err) {
    result = { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  if (result.ok) {
    console.log(`ok    proto ${name}${result.note ? `: ${result.note}` : ''}`);
  } else {
    failed++;
    console.log(`FAIL  proto ${name}\n${result.message.replace(/^/gm, '      ')}`);
  }
}
console.log(
  failed === 0 ? `proto checks passed (buf ${version.out})` : `${failed} proto check(s) failed`,
);
process.exit(failed === 0 ? 0 : 1);
