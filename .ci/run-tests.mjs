#!/usr/bin/env node
// Runs one project's compiled tests with Node's own test runner.
// Usage: node .ci/run-tests.mjs <projectDir> [unit|integration|e2e|all]
// Tests are compiled by `tsc -b` into <projectDir>/dist, so decorators and their
// metadata behave exactly as in production builds (no second transpiler).
import {
  readdirSync,
  statSync,
  existsSync,
  readFileSync,
  appendFileSync,
  mkdtempSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const [projectArg = '.', kind = 'all'] = process.argv.slice(2);
const dist = resolve(projectArg, 'dist');
const suffixes = {
  unit: ['.spec.js'],
  integration: ['.integration-spec.js'],
  e2e: ['.e2e-spec.js'],
  all: ['.spec.js', '.integration-spec.js', '.e2e-spec.js'],
}[kind];
if (!suffixes) {
  console.error(`unknown test kind "${kind}" (expected unit, integration, e2e or all)`);
  process.exit(2);
}

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules') walk(path, out);
    } else if (
      suffixes.some((s) => name.endsWith(s)) &&
      !(kind === 'unit' && /\.(integration|e2e)-spec\.js$/.test(name))
    ) {
      out.push(path);
    }
  }
  return out;
}

const files = existsSync(dist) ? walk(dist, []).sort() : [];
if (files.length === 0) {
  console.log(`no ${kind} tests in ${projectArg}`);
  process.exit(0);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '3';
// A second (TAP) reporter into a file gives the counts for the closing summary of `npm test`.
const tapFile = join(mkdtempSync(join(tmpdir(), 'cdp-tap-')), 'report.tap');
const result = spawnSync(
  process.execPath,
  [
    '--enable-source-maps',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  { stdio: 'inherit', env: { LOG_LEVEL: 'error', ...process.env, NODE_ENV: 'test' } },
);
if (process.env.CDP_TEST_SUMMARY && existsSync(tapFile)) {
  const tap = readFileSync(tapFile, 'utf8');
  const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
  appendFileSync(
    process.env.CDP_TEST_SUMMARY,
    `${projectArg} ${count('pass')} ${count('fail')} ${count('skipped')}\n`,
  );
}
process.exit(result.status ?? 1);
