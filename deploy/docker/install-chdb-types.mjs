#!/usr/bin/env node
// Build-stage helper for deploy/Dockerfile: installs ONLY the JavaScript/type declarations of the
// optional `chdb` package (pinned and integrity-checked against package-lock.json), without its
// ~550 MB native library (@chdb/lib-*). libs/persistence has `import type ... from 'chdb/connection'`,
// so `tsc` needs the declarations; at runtime chdb is only loaded for chdb:// URLs, which production
// images never use (and the runtime stage never contains chdb at all).
// Usage (from the repo root, after `npm ci --omit=optional`): node deploy/docker/install-chdb-types.mjs
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const target = 'node_modules/chdb';
if (existsSync(join(target, 'package.json'))) {
  console.log('chdb already installed');
  process.exit(0);
}
const locked = JSON.parse(readFileSync('package-lock.json', 'utf8')).packages?.[
  'node_modules/chdb'
];
if (!locked) {
  console.log('chdb is not in package-lock.json: nothing to do');
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'chdb-'));
const [packed] = JSON.parse(
  execFileSync(
    'npm',
    ['pack', `chdb@${locked.version}`, '--json', '--ignore-scripts', '--pack-destination', dir],
    { encoding: 'utf8' },
  ),
);
const tarball = join(dir, packed.filename);
const [algo, expected] = locked.integrity.split(/-(.*)/s);
const actual = createHash(algo).update(readFileSync(tarball)).digest('base64');
if (actual !== expected) {
  console.error(
    `chdb@${locked.version}: integrity mismatch (lockfile ${locked.integrity}, got ${algo}-${actual})`,
  );
  process.exit(1);
}
mkdirSync(target, { recursive: true });
execFileSync('tar', ['-xzf', tarball, '--strip-components=1', '-C', target]);
rmSync(dir, { recursive: true, force: true });
console.log(
  `installed chdb@${locked.version} (declarations only, no native library) into ${target}`,
);
