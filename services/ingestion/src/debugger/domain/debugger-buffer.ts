import { type DebuggerEntry } from '../application/event-debugger.port';

export interface DebuggerBufferOptions {
  /** Entries kept per source (the debugger shows at most this many). */
  readonly entriesPerSource: number;
  /** Serialized bytes kept per source (oldest entries go first beyond it). */
  readonly maxBytesPerSource: number;
  /** Sources with a buffer; the least recently recorded source is dropped beyond it. */
  readonly maxSources: number;
  /** Entries recorded per second and source (token bucket, burst = rate); the rest are skipped. */
  readonly ratePerSecond: number;
  /** An event whose JSON is longer is replaced by `{ truncated, length, preview }`. */
  readonly maxEventChars: number;
  /** Reasons kept per rejected entry. */
  readonly maxReasons: number;
}

export const DEFAULT_DEBUGGER_BUFFER_OPTIONS: DebuggerBufferOptions = {
  entriesPerSource: 500,
  maxBytesPerSource: 512 * 1024,
  maxSources: 500,
  ratePerSecond: 100,
  maxEventChars: 8 * 1024,
  maxReasons: 20,
};

export interface DebuggerBufferStats {
  recorded: number;
  /** Skipped by the per-source rate limit. */
  rateLimited: number;
  truncated: number;
  /** Source buffers dropped by the `maxSources` bound. */
  evictedSources: number;
}

/** A circular buffer of serialized entries (oldest at `start`), bounded in count and bytes. */
class SourceRing {
  private readonly slots: (string | undefined)[];
  private start = 0;
  private count = 0;
  bytes = 0;
  tokens: number;
  refilledAtMs: number;

  constructor(
    private readonly capacity: number,
    private readonly maxBytes: number,
    tokens: number,
    nowMs: number,
  ) {
    this.slots = new Array<string | undefined>(capacity);
    this.tokens = tokens;
    this.refilledAtMs = nowMs;
  }

  push(json: string): void {
    if (this.count === this.capacity) this.dropOldest();
    while (this.count > 0 && this.bytes + json.length > this.maxBytes) this.dropOldest();
    this.slots[(this.start + this.count) % this.capacity] = json;
    this.count++;
    this.bytes += json.length;
  }

  /** Newest first. */
  latest(limit: number): string[] {
    const out: string[] = [];
    for (let i = this.count - 1; i >= 0 && out.length < limit; i--) {
      const json = this.slots[(this.start + i) % this.capacity];
      if (json !== undefined) out.push(json);
    }
    return out;
  }

  private dropOldest(): void {
    const json = this.slots[this.start];
    this.slots[this.start] = undefined;
    this.bytes -= json?.length ?? 0;
    this.start = (this.start + 1) % this.capacity;
    this.count--;
  }
}

function serializeEvent(
  event: unknown,
  maxChars: number,
): { readonly value: unknown; readonly truncated: boolean } {
  let json: string | undefined;
  try {
    json = JSON.stringify(event);
  } catch {
    return { value: { unserializable: true }, truncated: true };
  }
  if (json === undefined) return { value: null, truncated: false };
  if (json.length <= maxChars) return { value: event, truncated: false };
  return {
    value: { truncated: true, length: json.length, preview: json.slice(0, maxChars) },
    truncated: true,
  };
}

/**
 * The debugger's memory (pure; the caller passes the time). `record` is O(1) amortized apart from
 * serializing the one entry it keeps (at most `ratePerSecond` per source), and memory is bounded
 * by maxSources × maxBytesPerSource. Entries are stored serialized: a snapshot, immune to the
 * caller mutating the event afterwards.
 */
export class DebuggerBuffer {
  private readonly rings = new Map<string, SourceRing>();
  private readonly options: DebuggerBufferOptions;
  readonly stats: DebuggerBufferStats = {
    recorded: 0,
    rateLimited: 0,
    truncated: 0,
    evictedSources: 0,
  };

  constructor(options: Partial<DebuggerBufferOptions> = {}) {
    this.options = { ...DEFAULT_DEBUGGER_BUFFER_OPTIONS, ...options };
  }

  get sources(): number {
    return this.rings.size;
  }

  /** Records an entry unless the source is over its rate; returns whether it was kept. */
  record(workspaceId: string, sourceId: string, entry: DebuggerEntry, nowMs: number): boolean {
    const ring = this.ringFor(`${workspaceId}:${sourceId}`, nowMs);
    const elapsed = Math.max(0, nowMs - ring.refilledAtMs);
    ring.tokens = Math.min(
      this.options.ratePerSecond,
      ring.tokens + (elapsed * this.options.ratePerSecond) / 1000,
    );
    ring.refilledAtMs = nowMs;
    if (ring.tokens < 1) {
      this.stats.rateLimited++;
      return false;
    }
    ring.tokens -= 1;
    const event = serializeEvent(entry.event, this.options.maxEventChars);
    if (event.truncated) this.stats.truncated++;
    const stored =
      entry.status === 'accepted'
        ? { status: entry.status, receivedAt: entry.receivedAt, event: event.value }
        : {
            status: entry.status,
            receivedAt: entry.receivedAt,
            event: event.value,
            reasons: entry.reasons.slice(0, this.options.maxReasons),
          };
    ring.push(JSON.stringify(stored));
    this.stats.recorded++;
    return true;
  }

  /** The latest entries of a source, newest first. */
  latest(workspaceId: string, sourceId: string, limit: number): DebuggerEntry[] {
    const ring = this.rings.get(`${workspaceId}:${sourceId}`);
    if (ring === undefined) return [];
    return ring.latest(limit).map((json) => JSON.parse(json) as DebuggerEntry);
  }

  private ringFor(key: string, nowMs: number): SourceRing {
    let ring = this.rings.get(key);
    if (ring !== undefined) {
      // Recency for the LRU bound: Map iteration order is insertion order.
      this.rings.delete(key);
      this.rings.set(key, ring);
      return ring;
    }
    ring = new SourceRing(
      this.options.entriesPerSource,
      this.options.maxBytesPerSource,
      this.options.ratePerSecond,
      nowMs,
    );
    this.rings.set(key, ring);
    while (this.rings.size > this.options.maxSources) {
      const oldest = this.rings.keys().next();
      if (oldest.done === true) break;
      this.rings.delete(oldest.value);
      this.stats.evictedSources++;
    }
    return ring;
  }
}

/** Merges the answers of several pods: newest first by `receivedAt`, at most `limit`. */
export function mergeLatest(
  lists: readonly (readonly DebuggerEntry[])[],
  limit: number,
): DebuggerEntry[] {
  // Each list is newest first already; a stable sort keeps each pod's order for equal times.
  return lists
    .flat()
    .sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : a.receivedAt > b.receivedAt ? -1 : 0))
    .slice(0, limit);
}
