import { positiveInt, url, z } from '@cdp/config';

/** Roles one ingestion process plays: the HTTP API and/or the ClickHouse event writer. */
export const INGESTION_ROLES = ['api', 'writer'] as const;
export type IngestionRole = (typeof INGESTION_ROLES)[number];

/** Variables of the ingestion service beyond the shared ones. */
export const ingestionEnv = {
  INGESTION_ROLES: z
    .string()
    .default('api,writer')
    .transform((value, ctx) => {
      const roles = value
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean);
      const unknown = roles.filter((r) => !(INGESTION_ROLES as readonly string[]).includes(r));
      if (roles.length === 0 || unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a comma list of ${INGESTION_ROLES.join(', ')}`,
        });
        return z.NEVER;
      }
      return roles as IngestionRole[];
    })
    .describe(
      'what this process runs: api (collection HTTP API), writer (ClickHouse event writer), or both',
    ),
  INGEST_PARTITIONS: positiveInt(8).describe(
    'partitions of the accepted-event subject (per workspace)',
  ),
  INGEST_MAX_EVENT_BYTES: positiveInt(32 * 1024).describe('largest accepted event (bytes of JSON)'),
  INGEST_MAX_BATCH_BYTES: positiveInt(500 * 1024).describe(
    'largest accepted request body (bytes, after gunzip)',
  ),
  INGEST_DEDUP_WINDOW_HOURS: positiveInt(24).describe('messageId deduplication window'),
  INGEST_RATE_LIMIT_PER_SECOND: positiveInt(20_000).describe(
    'events per second per workspace and process before 429',
  ),
  INGEST_PUBLISH_LINGER_MS: positiveInt(5).describe(
    'how long a micro-batch waits for more events before it is published',
  ),
  INGEST_PUBLISH_MAX_PENDING_BYTES: positiveInt(64 * 1024 * 1024).describe(
    'unpublished bytes held before answering 503',
  ),
  INGEST_PUBLISH_TIMEOUT_MS: positiveInt(3000).describe(
    'longest wait for JetStream to store a micro-batch before the request gets 503',
  ),
  INGEST_PUBLIC_URL: url(['http', 'https'])
    .optional()
    .describe(
      'public base URL of the collection API given to analytics-next (default: from the request Host)',
    ),
  WRITER_FLUSH_ROWS: positiveInt(20_000).describe('rows per ClickHouse insert of the event writer'),
  WRITER_FLUSH_INTERVAL_MS: positiveInt(1000).describe(
    'longest time an accepted event waits before it is inserted',
  ),
  WRITER_CLAIM_TIMEOUT_MS: positiveInt(60_000).describe(
    'age after which an uncommitted messageId claim of the event writer counts as abandoned (a crashed flush)',
  ),
  IMPORT_MAX_BYTES: positiveInt(10 * 1024 ** 3).describe(
    'largest bulk import file (bytes as uploaded, and again after gunzip); the HTTP bodyLimit does not apply to imports',
  ),
  IMPORT_CHUNK_ROWS: positiveInt(500).describe(
    'rows of an import sent to the collector at once (reading pauses meanwhile)',
  ),
  IMPORT_MAX_LINE_BYTES: positiveInt(1024 * 1024).describe(
    'longest NDJSON line / CSV record of an import; longer rows are rejected, never buffered',
  ),
  IMPORT_MAX_STORED_REJECTIONS: positiveInt(10_000).describe(
    'rejected rows kept with their reasons per import job (counts stay exact)',
  ),
  IMPORT_PROGRESS_EVERY_ROWS: positiveInt(5000).describe('import progress is saved every N rows'),
  IMPORT_PROGRESS_INTERVAL_MS: positiveInt(1000).describe(
    '...or after this long, whichever comes first',
  ),
  IMPORT_STALE_AFTER_MS: positiveInt(5 * 60_000).describe(
    'a running import without progress this long (its process died) may be resumed by another upload',
  ),
} as const;

export const ingestionEnvSchema = z.object(ingestionEnv);
export type IngestionConfig = z.infer<typeof ingestionEnvSchema>;

/** Injection token of the typed ingestion configuration. */
export const INGESTION_CONFIG = Symbol.for('cdp.ingestion.config');
