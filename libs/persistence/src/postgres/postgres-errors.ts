import { PostgresUnavailableError } from '../persistence-error';

/** Socket-level codes meaning "no server there (yet)", as opposed to a server that said no. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ENOENT', // unix socket path missing
  '57P03', // cannot_connect_now: the server is starting up or shutting down
]);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return code;
  // Node's happy-eyeballs connect reports an AggregateError of the per-address attempts.
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const innerCode = codeOf(inner);
      if (innerCode !== undefined) return innerCode;
    }
  }
  return undefined;
}

/**
 * Why `error` means the server could not be reached, or undefined when it is another failure
 * (bad password, missing database, SQL error...).
 */
export function unreachableReason(error: unknown): string | undefined {
  const code = codeOf(error);
  if (code !== undefined && UNREACHABLE_CODES.has(code)) return code;
  const message = error instanceof Error ? error.message : '';
  if (/timeout expired|connection timeout|Connection terminated unexpectedly/i.test(message))
    return 'timeout';
  return undefined;
}

/** `error` as a PostgresUnavailableError when it means the server is unreachable, else itself. */
export function toPostgresError(error: unknown, address: string): unknown {
  if (error instanceof PostgresUnavailableError) return error;
  const reason = unreachableReason(error);
  return reason === undefined
    ? error
    : new PostgresUnavailableError(address, reason, { cause: error });
}

/** The SQLSTATE of a pg error, if any. */
export function sqlState(error: unknown): string | undefined {
  const code = codeOf(error);
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Double-quotes an SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
