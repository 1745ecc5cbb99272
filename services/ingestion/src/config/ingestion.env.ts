import { positiveInt, z } from '@cdp/config';

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
  INGEST_PARTITIONS: positiveInt(16).describe(
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
  WRITER_FLUSH_ROWS: positiveInt(20_000).describe('rows per ClickHouse insert of the event writer'),
  WRITER_FLUSH_INTERVAL_MS: positiveInt(1000).describe(
    'longest time an accepted event waits before it is inserted',
  ),
} as const;

export const ingestionEnvSchema = z.object(ingestionEnv);
export type IngestionConfig = z.infer<typeof ingestionEnvSchema>;

/** Injection token of the typed ingestion configuration. */
export const INGESTION_CONFIG = Symbol.for('cdp.ingestion.config');
