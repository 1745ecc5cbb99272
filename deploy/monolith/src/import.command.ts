import { createReadStream, readFileSync, statSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { parseArgs } from 'node:util';

export const IMPORT_USAGE = `  import --url <http://host:port> --key <secret API key> --source <sourceId> --file <path>
         [--format csv|ndjson] [--mapping mapping.json] [--resume <importId>] [--skip-lines N]
      stream a CSV/NDJSON file (gzip too) into a source as an import job, with a progress bar
      on stderr; prints the final job as JSON. Exit 0 when completed, 1 when it failed (resume
      with --resume <importId>: rows already done are not sent again)`;

interface Job {
  id: string;
  status: string;
  rowsRead: number;
  accepted: number;
  rejected: number;
  bytesRead: number;
  error: { code: string; message: string; resumeAfterLine: number } | null;
}

function formatOf(file: string): 'csv' | 'ndjson' {
  return /\.csv(\.gz)?$/i.test(file) ? 'csv' : 'ndjson';
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** One line of progress, redrawn in place on a terminal and printed every few seconds otherwise. */
function progressLine(sent: number, total: number, job: Job | undefined): string {
  const ratio = total > 0 ? Math.min(1, sent / total) : 1;
  const width = 24;
  const filled = Math.round(ratio * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const rows = job ? ` rows ${job.rowsRead} accepted ${job.accepted} rejected ${job.rejected}` : '';
  return `${bar} ${(ratio * 100).toFixed(0).padStart(3)}% ${mb(sent)}/${mb(total)}${rows}`;
}

async function call(url: string, key: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string>) },
  });
  const text = await response.text();
  const body: unknown = text ? JSON.parse(text) : {};
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } }).error;
    throw Object.assign(
      new Error(`${response.status} ${error?.code ?? ''}: ${error?.message ?? text}`),
      { body },
    );
  }
  return body;
}

/**
 * `cdp import`: creates the job (POST /v1/imports), streams the file to it
 * (PUT /v1/imports/:id/data, a half-duplex request body read from disk as it is sent) and polls
 * GET /v1/imports/:id for the progress bar while the upload runs.
 */
export async function runImportCli(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      url: { type: 'string', default: process.env.CDP_URL ?? 'http://localhost:8080' },
      key: { type: 'string', default: process.env.CDP_API_KEY },
      source: { type: 'string' },
      file: { type: 'string' },
      format: { type: 'string' },
      mapping: { type: 'string' },
      resume: { type: 'string' },
      'skip-lines': { type: 'string' },
    },
    strict: true,
  });
  const { url, key, source, file } = values;
  if (!key || !file || (!source && !values.resume)) {
    console.error(`usage: cdp\n${IMPORT_USAGE}`);
    return 2;
  }
  const format = values.format ?? formatOf(file);
  if (format !== 'csv' && format !== 'ndjson') {
    console.error(`unknown format "${format}" (csv or ndjson)`);
    return 2;
  }
  const base = (url ?? '').replace(/\/$/, '');
  const total = statSync(file).size;
  const job = values.resume
    ? ((await call(`${base}/v1/imports/${encodeURIComponent(values.resume)}`, key)) as Job)
    : ((await call(`${base}/v1/imports`, key, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          sourceId: source,
          format,
          ...(values.mapping
            ? { mapping: JSON.parse(readFileSync(values.mapping, 'utf8')) as unknown }
            : {}),
        }),
      })) as Job);
  console.error(`import ${job.id}: ${file} (${mb(total)}, ${format})`);

  let sent = 0;
  let latest: Job | undefined;
  const tty = process.stderr.isTTY;
  let lastPrinted = 0;
  const draw = (force = false) => {
    const line = progressLine(sent, total, latest);
    if (tty) process.stderr.write(`\r${line}\x1b[K`);
    else if (force || Date.now() - lastPrinted > 2000) {
      process.stderr.write(`${line}\n`);
      lastPrinted = Date.now();
    }
  };
  const poller = setInterval(() => {
    call(`${base}/v1/imports/${job.id}?rejectionsLimit=0`, key).then(
      (j) => {
        latest = j as Job;
        draw();
      },
      () => undefined, // progress is best effort; the upload's answer is the truth
    );
  }, 500);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      done(null, chunk);
    },
  });
  const skip = values['skip-lines'] ? `?skipLines=${encodeURIComponent(values['skip-lines'])}` : '';
  let final: Job;
  let failed = false;
  try {
    final = (await call(`${base}/v1/imports/${job.id}/data${skip}`, key, {
      method: 'PUT',
      headers: { 'content-type': format === 'csv' ? 'text/csv' : 'application/x-ndjson' },
      body: Readable.toWeb(createReadStream(file).pipe(counter)) as ReadableStream,
      ...({ duplex: 'half' } as object),
    })) as Job;
  } catch (error) {
    failed = true;
    // The job records where it stopped, whatever happened to the connection.
    final = (await call(`${base}/v1/imports/${job.id}?rejectionsLimit=0`, key)) as Job;
    console.error(`\n${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearInterval(poller);
  }
  latest = final;
  draw(true);
  if (tty) process.stderr.write('\n');
  console.log(JSON.stringify(final));
  if (failed || final.status !== 'completed') {
    console.error(
      `import ${final.status}; resume with: cdp import --resume ${final.id} --file ${file} --key …` +
        (final.error ? ` (rows up to line ${final.error.resumeAfterLine} are done)` : ''),
    );
    return 1;
  }
  return 0;
}
