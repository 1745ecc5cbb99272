import { z } from 'zod';

/** Building blocks shared by every service's env schema, so each variable means one thing. */
export const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `expected a URL with scheme ${protocols.map((p) => `${p}://`).join(' or ')}` },
  );

export const port = (fallback: number) =>
  z.coerce
    .number({ message: 'expected a TCP port number' })
    .int('expected an integer port')
    .min(1, 'expected a port between 1 and 65535')
    .max(65535, 'expected a port between 1 and 65535')
    .default(fallback);

export const positiveInt = (fallback: number) =>
  z.coerce
    .number({ message: 'expected a number' })
    .int('expected an integer')
    .positive('expected a positive integer')
    .default(fallback);

export const boolFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

export const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    message: 'expected one of fatal, error, warn, info, debug, trace, silent',
  })
  .default('info');

/** Variables every service reads. */
export const baseEnv = {
  LOG_LEVEL: logLevel.describe('pino log level'),
  NATS_URL: url(['nats', 'tls'])
    .default('nats://127.0.0.1:4222')
    .describe('NATS server(s) with JetStream'),
  NATS_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9_-]*$/, 'expected lower-case letters, digits, _ or - (or empty)')
    .default('')
    .describe('prefix for every subject and stream (isolates test runs and co-hosted installs)'),
  DATABASE_URL: url(['postgres', 'postgresql'])
    .default('postgres://root@127.0.0.1:5432/cdp')
    .describe('Postgres connection URL; the database is created if missing'),
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http', 'https'])
    .optional()
    .describe('OTLP/HTTP collector; traces are not exported when unset'),
  SHUTDOWN_TIMEOUT_MS: positiveInt(8000).describe(
    'how long in-flight work may take to finish on SIGTERM',
  ),
} as const;

export const clickhouseEnv = {
  CLICKHOUSE_URL: url(['http', 'https', 'chdb'])
    .default('chdb://./.data/clickhouse')
    .describe('ClickHouse server (http/https) or embedded engine data directory (chdb://)'),
} as const;
