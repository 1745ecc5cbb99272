export type Dependency = 'nats' | 'postgres' | 'clickhouse';

const HOW_TO_START: Record<Dependency, string> = {
  nats: 'start it with `nats-server -js` (JetStream enabled) or set NATS_URL',
  postgres: 'start it with `pg_ctlcluster 15 main start` (or any Postgres 15+) or set DATABASE_URL',
  clickhouse:
    'set CLICKHOUSE_URL to a reachable ClickHouse server (http://...) or an embedded data directory (chdb://./.data/clickhouse)',
};

const LABEL: Record<Dependency, string> = {
  nats: 'NATS',
  postgres: 'PostgreSQL',
  clickhouse: 'ClickHouse',
};

/** A dependency the process cannot start without; its message is one line for the operator. */
export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: Dependency,
    readonly address: string,
    readonly reason: string,
  ) {
    super(
      `${LABEL[dependency]} is not reachable at ${address} (${reason}): ${HOW_TO_START[dependency]}.`,
    );
    this.name = 'DependencyUnavailableError';
  }
}

export function describeUnavailable(dependency: Dependency, url: string, error: unknown): Error {
  if (error instanceof DependencyUnavailableError) return error;
  const own = (error as { reason?: unknown } | null)?.reason;
  const reason =
    typeof own === 'string'
      ? own
      : error instanceof Error
        ? (error.message.split('\n')[0] ?? error.name)
        : String(error);
  return new DependencyUnavailableError(dependency, redact(url), reason);
}

/** Never print a password from a connection URL. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
