import type { EventRow, MessageKey } from '../domain/event-row';
import type { Claim } from '../domain/ownership';

export interface ClaimRecord extends Claim, MessageKey {}

/** The writer's storage: the `events` table and the messageId claims (dedup) table. */
export interface EventStore {
  /** Records this flush's claim on each key (idempotent per flush). */
  claim(flushId: string, keys: readonly MessageKey[]): Promise<void>;
  /** Every claim of these keys made within the window, and the store's current time. */
  readClaims(
    keys: readonly MessageKey[],
    windowHours: number,
  ): Promise<{ readonly now: string; readonly claims: readonly ClaimRecord[] }>;
  /** Which keys already have a row in `events` (keyOf strings). */
  existingEvents(keys: readonly MessageKey[]): Promise<ReadonlySet<string>>;
  /**
   * One insert; a retry with the same `insertId` does not duplicate the block. Rejects with
   * RowsRefusedError when the store refuses the rows' content (retrying them cannot succeed; the
   * statement may still have stored some of them when it spanned several blocks); any other
   * rejection is transient (unreachable, timeout, overload).
   */
  insertEvents(insertId: string, rows: readonly EventRow[]): Promise<void>;
  /** Marks the given claims committed (their rows are in `events`). */
  commit(flushId: string, claims: readonly ClaimRecord[]): Promise<void>;
}

/** The store refused the content of an insert (a parse or type error), `cause` says why. */
export class RowsRefusedError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'RowsRefusedError';
  }
}

export const EVENT_STORE = Symbol.for('cdp.ingestion.event-writer.event-store');
