import { DomainError } from '@cdp/contracts';
import { keyOf, type EventRow, type MessageKey } from '../domain/event-row';
import { decideOwnership, type Claim } from '../domain/ownership';
import { RowsRefusedError, type ClaimRecord, type EventStore } from './event-store.port';
import { EventsRefusedError } from './events-refused.error';

export interface WriteEventsSettings {
  readonly dedupWindowHours: number;
  readonly claimTimeoutMs: number;
}

/** What happened to one flush. `failed[i]` is set when batch i must be redelivered. */
export interface WriteEventsResult {
  readonly inserted: number;
  /** Dropped: same messageId earlier in the flush, or already written within the window. */
  readonly duplicates: number;
  /** Rows whose owner is another flush still in flight: their batches are retried. */
  readonly deferred: number;
  /** Rows the store refused even alone: their batches are dead-lettered (EventsRefusedError). */
  readonly refused: number;
  readonly failed: readonly (Error | undefined)[];
}

interface Entry {
  readonly key: string;
  readonly row: EventRow;
  readonly batch: number;
  readonly owner: Claim;
}

/** Where the isolating insert left each entry. */
interface InsertOutcome {
  readonly refused: Map<Entry, RowsRefusedError>;
  /** Not inserted because the flush ran out of time while isolating: retried later. */
  readonly postponed: Set<Entry>;
}

const FAILED_FLUSHES_KEPT = 10_000;

/**
 * Writes one flush (several consumed batches) to `events` exactly once per messageId within
 * the dedup window: claim → read claims back → insert the ids this flush owns → commit.
 * Idempotent under redelivery: a redelivered batch finds its ids owned by an earlier flush
 * (committed → dropped; abandoned → checked against `events` itself). See
 * docs/adr/0007-event-dedup.md.
 */
export class WriteEventsUseCase {
  /** Flushes of this process that failed after claiming: their claims are abandoned at once. */
  private readonly failedFlushes = new Set<string>();

  constructor(
    private readonly store: EventStore,
    private readonly settings: WriteEventsSettings,
    private readonly now: () => number = Date.now,
  ) {}

  async execute(
    flushId: string,
    batches: readonly (readonly EventRow[])[],
  ): Promise<WriteEventsResult> {
    try {
      return await this.write(flushId, batches);
    } catch (error) {
      this.failedFlushes.add(flushId);
      if (this.failedFlushes.size > FAILED_FLUSHES_KEPT) {
        const oldest = this.failedFlushes.values().next();
        if (!oldest.done) this.failedFlushes.delete(oldest.value);
      }
      throw error;
    }
  }

  private async write(
    flushId: string,
    batches: readonly (readonly EventRow[])[],
  ): Promise<WriteEventsResult> {
    // First occurrence within the flush wins; the rest are duplicates already.
    const candidates = new Map<string, { row: EventRow; batch: number }>();
    let duplicates = 0;
    batches.forEach((rows, batch) => {
      for (const row of rows) {
        const key = keyOf(row);
        if (candidates.has(key)) duplicates++;
        else candidates.set(key, { row, batch });
      }
    });
    const failed: (Error | undefined)[] = batches.map(() => undefined);
    if (candidates.size === 0) return { inserted: 0, duplicates, deferred: 0, refused: 0, failed };

    const keys: MessageKey[] = [...candidates.values()].map(({ row }) => ({
      workspaceId: row.workspace_id,
      messageId: row.message_id,
    }));
    const started = this.now();
    await this.store.claim(flushId, keys);
    const { now, claims } = await this.store.readClaims(keys, this.settings.dedupWindowHours);
    const claimsByKey = new Map<string, ClaimRecord[]>();
    for (const c of claims) {
      const key = keyOf({ workspace_id: c.workspaceId, message_id: c.messageId });
      const list = claimsByKey.get(key);
      if (list) list.push(c);
      else claimsByKey.set(key, [c]);
    }

    const toInsert = new Map<string, Entry>();
    const toVerify = new Map<string, Entry>();
    let deferred = 0;
    const decision = {
      flushId,
      now,
      claimTimeoutMs: this.settings.claimTimeoutMs,
      failedFlushes: this.failedFlushes,
    };
    for (const [key, { row, batch }] of candidates) {
      const ownership = decideOwnership(claimsByKey.get(key) ?? [], decision);
      switch (ownership.kind) {
        case 'insert':
          toInsert.set(key, { key, row, batch, owner: ownership.owner });
          break;
        case 'duplicate':
          duplicates++;
          break;
        case 'verify':
          toVerify.set(key, { key, row, batch, owner: ownership.owner });
          break;
        case 'defer':
          deferred++;
          failed[batch] ??= new DomainError(
            'unavailable',
            'event_writer.dedup_pending',
            `messageId "${row.message_id}" is being written by another flush; retrying later`,
          );
          break;
      }
    }

    // An abandoned owner may have inserted before it died (even partly): ask `events` itself.
    const recovered: Entry[] = [];
    if (toVerify.size > 0) {
      const existing = await this.store.existingEvents(
        [...toVerify.values()].map(({ row }) => ({
          workspaceId: row.workspace_id,
          messageId: row.message_id,
        })),
      );
      for (const [key, entry] of toVerify) {
        recovered.push(entry);
        if (existing.has(key)) duplicates++;
        else toInsert.set(key, entry);
      }
    }

    // A flush stalled this long might see its abandoned claims taken over by another writer.
    if (this.now() - started > this.settings.claimTimeoutMs / 2) {
      throw new DomainError(
        'unavailable',
        'event_writer.flush_too_slow',
        'flush took longer than half the claim timeout before inserting; retrying',
      );
    }
    const entries = [...toInsert.values()];
    const { refused, postponed } = await this.insertIsolating(flushId, entries, started);
    for (const entry of postponed) {
      failed[entry.batch] ??= new DomainError(
        'unavailable',
        'event_writer.flush_too_slow',
        'flush ran out of time isolating refused events; retrying the rest later',
      );
    }
    // Retryable failures win: a redelivery stores the batch's other events, then refuses again.
    const refusedByBatch = new Map<number, Entry[]>();
    for (const entry of refused.keys()) {
      const list = refusedByBatch.get(entry.batch);
      if (list) list.push(entry);
      else refusedByBatch.set(entry.batch, [entry]);
    }
    for (const [batch, list] of refusedByBatch) {
      const [first] = list;
      const cause = first && refused.get(first);
      if (!cause) continue;
      failed[batch] ??= new EventsRefusedError(
        list.map((e) => e.row.message_id),
        cause.cause instanceof Error ? cause.cause : cause,
      );
    }

    // Commit the OWNER's claim (ours, or the abandoned one we completed or found complete).
    // Refused and postponed ids stay claimed, uncommitted: a later delivery (a replay from the
    // dead letters) verifies them against `events` once the claim timeout passed.
    const commits = new Map<string, ClaimRecord>();
    const stored = entries.filter((e) => !refused.has(e) && !postponed.has(e));
    const recoveredPresent = recovered.filter((e) => !toInsert.has(e.key));
    for (const { row, owner } of [...stored, ...recoveredPresent]) {
      commits.set(keyOf(row), {
        workspaceId: row.workspace_id,
        messageId: row.message_id,
        ...owner,
        committed: true,
      });
    }
    if (commits.size > 0) await this.store.commit(flushId, [...commits.values()]);
    return { inserted: stored.length, duplicates, deferred, refused: refused.size, failed };
  }

  /**
   * Inserts the entries in one statement. When the store refuses the content (poison: a value its
   * JSON type cannot parse), isolates the culprits by bisection: halves are inserted separately
   * (each with its own dedup token) until the refused rows are alone; every other row is stored.
   * Transient errors fail the whole flush as before (everything retried).
   */
  private async insertIsolating(
    flushId: string,
    entries: readonly Entry[],
    started: number,
  ): Promise<InsertOutcome> {
    const outcome: InsertOutcome = { refused: new Map(), postponed: new Set() };
    if (entries.length > 0) await this.insertOrSplit(flushId, entries, 'events', started, outcome);
    return outcome;
  }

  private async insertOrSplit(
    flushId: string,
    entries: readonly Entry[],
    label: string,
    started: number,
    outcome: InsertOutcome,
  ): Promise<void> {
    // Past half the claim timeout another writer may take abandoned claims over: stop here.
    if (label !== 'events' && this.now() - started > this.settings.claimTimeoutMs / 2) {
      for (const entry of entries) outcome.postponed.add(entry);
      return;
    }
    try {
      await this.store.insertEvents(
        `${flushId}:${label}`,
        entries.map((e) => e.row),
      );
      return;
    } catch (error) {
      if (!(error instanceof RowsRefusedError)) throw error;
      const [only] = entries;
      if (entries.length === 1 && only) {
        outcome.refused.set(only, error);
        return;
      }
    }
    // A refused statement larger than one block may have stored some rows: never insert twice.
    const present = await this.store.existingEvents(
      entries.map((e) => ({ workspaceId: e.row.workspace_id, messageId: e.row.message_id })),
    );
    const absent = entries.filter((e) => !present.has(e.key));
    const half = Math.ceil(absent.length / 2);
    if (absent.length > 0)
      await this.insertOrSplit(flushId, absent.slice(0, half), `${label}.0`, started, outcome);
    if (absent.length > half)
      await this.insertOrSplit(flushId, absent.slice(half), `${label}.1`, started, outcome);
  }
}
