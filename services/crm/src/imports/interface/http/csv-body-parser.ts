import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { type Readable } from 'node:stream';
import { DomainError } from '@cdp/contracts';

/** Largest CSV accepted in one request. */
export const MAX_CSV_BYTES = 10 * 1024 * 1024;

/**
 * Lets `text/csv` bodies reach the handler as the raw request stream (the same parser the
 * ingestion imports register: whichever service registers first, both get a stream).
 */
@Injectable()
export class CsvImportBodyParser implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    if (fastify.hasContentTypeParser('text/csv')) return;
    fastify.addContentTypeParser('text/csv', (_request, payload, done) => {
      done(null, payload);
    });
  }
}

function isReadable(value: unknown): value is Readable {
  return (
    typeof (value as Readable | null)?.on === 'function' &&
    typeof (value as Readable).read === 'function'
  );
}

/** The CSV text of a body: a text/csv stream, a string, or JSON `{ csv: "..." }`. */
export async function csvText(body: unknown): Promise<string> {
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (isReadable(body)) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += buffer.length;
      if (size > MAX_CSV_BYTES) {
        body.destroy();
        throw new DomainError(
          'too_large',
          'import.too_large',
          `a CSV import is at most ${MAX_CSV_BYTES} bytes`,
        );
      }
      chunks.push(buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
  const csv = (body as { csv?: unknown } | null)?.csv;
  if (typeof csv === 'string') {
    if (Buffer.byteLength(csv) > MAX_CSV_BYTES)
      throw new DomainError(
        'too_large',
        'import.too_large',
        `a CSV import is at most ${MAX_CSV_BYTES} bytes`,
      );
    return csv;
  }
  throw new DomainError(
    'invalid',
    'import.no_csv',
    'send the file as Content-Type: text/csv, or JSON { "csv": "<file content>" }',
  );
}
