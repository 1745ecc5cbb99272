export interface BackoffPolicy {
  /** Delay after the first failed delivery. */
  readonly baseMs: number;
  /** Multiplier per further delivery (default 2). */
  readonly factor?: number;
  /** Upper bound before jitter. */
  readonly maxMs: number;
  /** Fraction of the delay randomised, ±jitter/2 (default 0.2). */
  readonly jitter?: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 500,
  factor: 2,
  maxMs: 30_000,
  jitter: 0.2,
};

/**
 * Redelivery delay after the `deliveryCount`-th delivery failed: base × factor^(n-1), capped at
 * maxMs, then spread by ±jitter/2 so a failing burst does not come back in lockstep.
 */
export function computeBackoffMs(
  deliveryCount: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const factor = policy.factor ?? 2;
  const jitter = policy.jitter ?? 0.2;
  const attempt = Math.max(1, Math.floor(deliveryCount));
  const raw = Math.min(policy.maxMs, policy.baseMs * Math.pow(factor, attempt - 1));
  const spread = raw * jitter * (random() - 0.5);
  return Math.max(0, Math.round(raw + spread));
}
