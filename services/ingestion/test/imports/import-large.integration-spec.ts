import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startImportHarness, type ImportHarness } from './support/import-harness';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let h: ImportHarness;
let SOURCE: string;
before(async () => {
  h = await startImportHarness();
  SOURCE = await h.createSource();
});
after(() => h.close());

test('a 200k-row CSV streamed from a generator is imported with bounded memory', async () => {
  const rows = 200_000;
  async function* file() {
    yield 'user_id,event,plan,amount,note\n';
    let batch = '';
    for (let i = 1; i <= rows; i++) {
      batch += `u${i % 5000},Order Completed,pro,${i % 1000},"a note with, a comma ${i}"\n`;
      if (i % 1000 === 0) {
        yield await Promise.resolve(batch);
        batch = '';
      }
    }
  }
  const created = (await (
    await h.api('/v1/imports', {
      method: 'POST',
      body: JSON.stringify({
        sourceId: SOURCE,
        format: 'csv',
        mapping: { columns: { amount: { target: 'properties.amount', type: 'number' } } },
      }),
    })
  ).json()) as { id: string };
  gc();
  const baseline = process.memoryUsage().rss;
  const heapBaseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  const started = Date.now();
  const response = await h.api(`/v1/imports/${created.id}/data`, {
    method: 'PUT',
    body: Readable.toWeb(Readable.from(file())) as ReadableStream,
    headers: { 'content-type': 'text/csv' },
    ...({ duplex: 'half' } as object),
  });
  const job = (await response.json()) as {
    status: string;
    accepted: number;
    rejected: number;
    bytesRead: number;
  };
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  const growthMb = (peak - baseline) / 1024 / 1024;
  gc();
  const retainedMb = (process.memoryUsage().heapUsed - heapBaseline) / 1024 / 1024;
  console.log(
    `import of ${rows} rows (${(job.bytesRead / 1024 / 1024).toFixed(1)} MB): ${seconds.toFixed(1)} s, ` +
      `${Math.round(rows / seconds)} rows/s, RSS +${growthMb.toFixed(0)} MB (peak ${(peak / 1024 / 1024).toFixed(0)} MB), ` +
      `heap retained after GC +${retainedMb.toFixed(0)} MB`,
  );
  assert.equal(response.status, 200, JSON.stringify(job));
  assert.deepEqual([job.status, job.accepted, job.rejected], ['completed', rows, 0]);
  // The whole process (client, service, collector, NATS client) shares this RSS; V8 grows its
  // heap lazily under allocation pressure, so the retained heap is the proof that nothing
  // proportional to the file is kept (the test collector itself keeps the 200k ids, ~16 MB).
  assert.ok(growthMb < 400, `RSS grew by ${growthMb.toFixed(0)} MB`);
  assert.ok(retainedMb < 64, `heap retained ${retainedMb.toFixed(0)} MB`);
});

test('the CLI streams a file with a progress bar and prints the final job', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-import-cli-'));
  try {
    const csv = join(dir, 'people.csv');
    const lines = ['id,email,vip'];
    for (let i = 1; i <= 3000; i++)
      lines.push(i === 10 ? ',,' : `c${i},c${i}@example.com,${i % 2 === 0}`);
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const mapping = join(dir, 'mapping.json');
    writeFileSync(
      mapping,
      JSON.stringify({ columns: { id: 'userId', vip: { target: 'traits.vip', type: 'boolean' } } }),
    );
    const cli = resolve(__dirname, '../../../../../deploy/monolith/dist/src/cli.js');
    const child = spawn(
      process.execPath,
      [
        cli,
        'import',
        '--url',
        h.url,
        '--key',
        h.tenant.adminKey,
        '--source',
        SOURCE,
        '--file',
        csv,
        '--mapping',
        mapping,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0, stderr);
    const job = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      id: string;
      status: string;
      accepted: number;
      rejected: number;
    };
    assert.deepEqual([job.status, job.accepted, job.rejected], ['completed', 2999, 1]);
    assert.match(stderr, /import [0-9a-f-]{36}: .*people\.csv/);
    assert.match(stderr, /\[#{24}\] 100% .* rows 3000 accepted 2999 rejected 1/);
    const detail = (await (await h.api(`/v1/imports/${job.id}`)).json()) as {
      rejections: { line: number }[];
    };
    assert.deepEqual(
      detail.rejections.map((r) => r.line),
      [11],
    );

    // A bad key: the CLI says why and exits non-zero.
    const bad = spawn(process.execPath, [
      cli,
      'import',
      '--url',
      h.url,
      '--key',
      'nope',
      '--source',
      SOURCE,
      '--file',
      csv,
    ]);
    let badErr = '';
    bad.stderr.on('data', (d: Buffer) => (badErr += d.toString()));
    assert.equal(await new Promise((r) => bad.on('close', r)), 1);
    assert.match(badErr, /401/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
