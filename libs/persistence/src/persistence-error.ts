/** What went wrong, as a stable machine-readable code (one error type per module, codes per case). */
export type PersistenceErrorCode =
  | 'INVALID_URL'
  | 'INVALID_NAME'
  | 'POSTGRES_UNAVAILABLE'
  | 'PING_TIMEOUT'
  | 'CLICKHOUSE_UNAVAILABLE'
  | 'CHDB_NOT_INSTALLED'
  | 'CHDB_PATH_CONFLICT'
  | 'MIGRATION_INVALID'
  | 'MIGRATION_CHECKSUM_MISMATCH'
  | 'MIGRATION_OUT_OF_ORDER'
  | 'MIGRATION_FAILED';

/** The one error type of @cdp/persistence. Messages are single lines, safe to log (no passwords). */
export class PersistenceError extends Error {
  override readonly name: string = 'PersistenceError';

  constructor(
    readonly code: PersistenceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The Postgres server could not be reached (refused, unknown host, timeout, starting up...). */
export class PostgresUnavailableError extends PersistenceError {
  override readonly name = 'PostgresUnavailableError';

  constructor(
    /** `host:port` that was tried. */
    readonly address: string,
    /** The low-level reason, e.g. `ECONNREFUSED`. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('POSTGRES_UNAVAILABLE', `Postgres is unreachable at ${address} (${reason})`, options);
  }
}
