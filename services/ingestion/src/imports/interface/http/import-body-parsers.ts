import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

/** Media types of import files. Their bodies reach the handler as the raw request stream. */
export const IMPORT_MEDIA_TYPES = [
  'text/csv',
  'application/x-ndjson',
  'application/jsonl',
  'application/x-jsonlines',
] as const;

/** The format a media type implies. */
export function formatOfMediaType(contentType: string | undefined): 'csv' | 'ndjson' | undefined {
  const essence = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (essence === 'text/csv') return 'csv';
  if (essence && (IMPORT_MEDIA_TYPES as readonly string[]).includes(essence)) return 'ndjson';
  return undefined;
}

/**
 * Registers Fastify body parsers that hand over the request stream unread, so an import of any
 * size is consumed as it arrives. Fastify's bodyLimit applies only to its buffering parsers, not
 * to these: the import enforces its own limit (IMPORT_MAX_BYTES) while it reads.
 */
@Injectable()
export class ImportBodyParsers implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    for (const type of IMPORT_MEDIA_TYPES) {
      if (fastify.hasContentTypeParser(type)) continue; // several services in one process
      fastify.addContentTypeParser(type, (_request, payload, done) => {
        done(null, payload);
      });
    }
  }
}
