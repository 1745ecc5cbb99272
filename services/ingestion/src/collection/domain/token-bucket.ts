export type TakeResult =
  { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * Token buckets keyed by workspace: `ratePerSecond` tokens refill per second up to `burst`.
 * A request takes one token per event. A request larger than the burst may still pass when the
 * bucket is full (it then leaves the bucket in debt), so no valid batch is refused forever.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  take(key: string, count: number): TakeResult {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) this.prune(now);
      bucket = { tokens: this.burst, updatedMs: now };
      this.buckets.set(key, bucket);
    } else {
      const elapsed = Math.max(0, now - bucket.updatedMs);
      bucket.tokens = Math.min(this.burst, bucket.tokens + (elapsed * this.ratePerSecond) / 1000);
      bucket.updatedMs = now;
    }
    const needed = Math.min(count, this.burst);
    if (bucket.tokens >= needed) {
      bucket.tokens -= count;
      return { ok: true };
    }
    const deficit = needed - bucket.tokens;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(deficit / this.ratePerSecond)) };
  }

  /** Forgets buckets that are full again (they behave exactly like new ones). */
  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.updatedMs) * this.ratePerSecond) / 1000 >= this.burst)
        this.buckets.delete(key);
    }
  }
}
