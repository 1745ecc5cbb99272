import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from './platform';

/** The bad-input corpus: e2e/fixtures/bad-input/index.json plus the files it names. */
export const BAD_INPUT_DIR = join(REPO_ROOT, 'e2e', 'fixtures', 'bad-input');

/** How a case authenticates: the source's write key (default), none, or a wrong one. */
export type CaseAuth = 'write-key' | 'none' | 'unknown-key' | 'malformed';

export interface BadInputCase {
  readonly name: string;
  readonly path: string;
  readonly method?: string;
  /** A file of the corpus folder, sent byte for byte. */
  readonly file?: string;
  /** A generator of GENERATORS below, for bodies too large or too regular to keep as files. */
  readonly generate?: keyof typeof GENERATORS;
  readonly params?: Record<string, number>;
  /** Extra request headers; content-type defaults to application/json. */
  readonly headers?: Record<string, string>;
  readonly auth?: CaseAuth;
  /** The exact status the case must get; any 4xx when absent. */
  readonly status?: number;
  /**
   * `4xx` (default): refused. `stored-or-4xx`: valid JSON that is hard to store; refusing it is
   * fine, but a 200 promises it reaches ClickHouse (without holding back other events).
   */
  readonly expect?: '4xx' | 'stored-or-4xx';
}

/** Marker of every event in the corpus: none of them may be stored. */
export const BAD_INPUT_USER = 'bad-input';

const param = (params: Record<string, number> | undefined, name: string): number => {
  const value = params?.[name];
  if (value === undefined) throw new Error(`bad-input generator needs params.${name}`);
  return value;
};

const track = (properties: string) =>
  `{"userId":"${BAD_INPUT_USER}","event":"Signed Up","properties":${properties}}`;

/** Body generators, by name (referenced from index.json). */
export const GENERATORS = {
  /** properties = {"a":{"a":...{}}} nested `depth` levels. */
  'deep-object': (p?: Record<string, number>) => {
    const depth = param(p, 'depth');
    return Buffer.from(track(`${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}`));
  },
  /** properties = {"a":[[[...]]]} nested `depth` levels. */
  'deep-array': (p?: Record<string, number>) => {
    const depth = param(p, 'depth');
    return Buffer.from(track(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`));
  },
  /** A batch whose first item is an array nested `depth` levels. */
  'deep-batch': (p?: Record<string, number>) => {
    const depth = param(p, 'depth');
    return Buffer.from(`{"batch":[${'['.repeat(depth)}${']'.repeat(depth)}]}`);
  },
  /** One track call with a string property of `bytes` bytes. */
  'oversized-event': (p?: Record<string, number>) =>
    Buffer.from(track(`{"text":"${'x'.repeat(param(p, 'bytes'))}"}`)),
  /** A batch of 1 KB track events adding up to `bytes`. */
  'oversized-batch': (p?: Record<string, number>) => {
    const item = `{"type":"track","userId":"${BAD_INPUT_USER}","event":"Signed Up","properties":{"text":"${'x'.repeat(1000)}"}}`;
    const count = Math.ceil(param(p, 'bytes') / item.length);
    return Buffer.from(`{"batch":[${Array.from({ length: count }, () => item).join(',')}]}`);
  },
  /** gzip of a JSON batch padded with `inflatedBytes` of whitespace (inflates ~1000x). */
  'gzip-bomb': (p?: Record<string, number>) => {
    const inflated = Buffer.alloc(param(p, 'inflatedBytes'), 0x20);
    inflated.write(`{"batch":[{"type":"track","userId":"${BAD_INPUT_USER}","event":"Bomb"}`, 0);
    inflated.write(']}', inflated.length - 2);
    return gzipSync(inflated, { level: 9 });
  },
  /** A valid gzip stream cut in half. */
  'truncated-gzip': () => {
    const full = gzipSync(Buffer.from(track(`{"text":"${'y'.repeat(2000)}"}`)));
    return full.subarray(0, Math.floor(full.length / 2));
  },
} satisfies Record<string, (params?: Record<string, number>) => Buffer>;

export function loadBadInputCorpus(): BadInputCase[] {
  const index = JSON.parse(readFileSync(join(BAD_INPUT_DIR, 'index.json'), 'utf8')) as {
    cases: BadInputCase[];
  };
  for (const c of index.cases) {
    if ((c.file === undefined) === (c.generate === undefined))
      throw new Error(`bad-input case "${c.name}": exactly one of file / generate`);
    if (c.generate !== undefined && !(c.generate in GENERATORS))
      throw new Error(`bad-input case "${c.name}": unknown generator "${c.generate}"`);
  }
  return index.cases;
}

export function caseBody(c: BadInputCase): Buffer {
  if (c.file !== undefined) return readFileSync(join(BAD_INPUT_DIR, c.file));
  if (c.generate !== undefined) return GENERATORS[c.generate](c.params);
  throw new Error(`bad-input case "${c.name}" has no body`);
}
