import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@cdp/contracts';
import { INGESTION_CONFIG, type IngestionConfig } from '../../config/ingestion.env';
import { TokenBuckets } from '../domain/token-bucket';

/** Per-workspace event rate limit of this process (INGEST_RATE_LIMIT_PER_SECOND, 1 s burst). */
@Injectable()
export class CollectRateLimiter {
  private readonly buckets: TokenBuckets;

  constructor(@Inject(INGESTION_CONFIG) config: IngestionConfig) {
    const rate = config.INGEST_RATE_LIMIT_PER_SECOND;
    this.buckets = new TokenBuckets(rate, rate);
  }

  /** Takes `events` tokens or throws `rate_limited` (429) with the seconds to wait. */
  take(workspaceId: string, events: number): void {
    const result = this.buckets.take(workspaceId, events);
    if (!result.ok)
      throw new DomainError(
        'rate_limited',
        'ingestion.rate_limited',
        'too many events for this workspace, retry later',
        { retryAfterSeconds: result.retryAfterSeconds },
        result.retryAfterSeconds,
      );
  }
}
