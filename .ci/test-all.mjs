#!/usr/bin/env node
// `npm test`: formatting, lint, types, contracts, chart, then every project's unit and
// integration tests (through Nx) and the e2e suite. Stops at the first failing step.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Every project's test run appends "<project> <pass> <fail> <skipped>" here for the closing line.
const summaryFile = join(mkdtempSync(join(tmpdir(), 'cdp-test-summary-')), 'summary.txt');
const env = {
  ...process.env,
  CDP_TEST_SUMMARY: summaryFile,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  FORCE_COLOR: process.env.FORCE_COLOR ?? '0',
};
const steps = [
  ['build (tsc -b)', 'npx', ['tsc', '-b', 'tsconfig.json']],
  ['format (prettier)', 'npx', ['prettier', '--check', '--log-level=warn', '.']],
  ['lint (eslint, type-aware)', 'npx', ['eslint', '--max-warnings=0', '.']],
  ['contracts (buf lint, breaking, generated code fresh)', 'node', ['.ci/check-proto.mjs']],
  ['chart (helm lint, template, schema validation, env coverage)', 'node', ['.ci/check-chart.mjs']],
  [
    'unit + integration tests (nx run-many -t test)',
    'npx',
    [
      'nx',
      'run-many',
      '-t',
      'test',
      '--parallel=2',
      '--skip-nx-cache',
      '--outputStyle=stream',
      '--exclude=@cdp/e2e',
    ],
  ],
  ['e2e tests', 'node', ['.ci/run-tests.mjs', 'e2e', 'e2e']],
];

const started = Date.now();
for (const [title, command, args] of steps) {
  const t0 = Date.now();
  console.log(`\n=== ${title}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`\n=== FAILED: ${title} (${seconds}s)`);
    process.exit(result.status ?? 1);
  }
  console.log(`=== ok: ${title} (${seconds}s)`);
}
const totals = (existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '')
  .split('\n')
  .filter(Boolean)
  .map((line) => line.split(' ').slice(1).map(Number))
  .reduce(
    (sum, [pass = 0, fail = 0, skipped = 0]) => [sum[0] + pass, sum[1] + fail, sum[2] + skipped],
    [0, 0, 0],
  );
if (totals[0] === 0) {
  console.error('no test ran: refusing to report success');
  process.exit(1);
}
console.log(`\nall checks passed in ${((Date.now() - started) / 1000).toFixed(0)}s`);
console.log(`${totals[0]} passed, ${totals[1]} failed, ${totals[2]} skipped`);
