import type { ClickHouseClient } from '@cdp/persistence';
import { DomainError } from '@cdp/contracts';
import { type BehavioralCondition, type EventStep } from '../domain/definition';
import { type BehaviorResult } from '../domain/evaluate';
import { type MatcherKey } from '../domain/event-matcher';
import { type BehaviorQueries, type Hit } from '../application/ports';
import { compileBehavior, compileStepEvents } from './clickhouse-behavior.compiler';

const BACKFILL_CHUNK = 5000;

export class ClickHouseBehaviorQueries implements BehaviorQueries {
  constructor(private readonly clickhouse: ClickHouseClient | undefined) {}

  private client(): ClickHouseClient {
    if (!this.clickhouse)
      throw new DomainError(
        'unavailable',
        'segmentation.clickhouse_unavailable',
        'behavioral conditions need ClickHouse (CLICKHOUSE_URL)',
      );
    return this.clickhouse;
  }

  async run(node: BehavioralCondition, ws: string, now: number): Promise<BehaviorResult> {
    const compiled = compileBehavior(node, ws, now);
    const result = await this.client().query({
      query: compiled.sql,
      query_params: compiled.params,
      format: 'JSONCompactEachRow',
    });
    const rows = await result.json<[string]>();
    return { profiles: new Set(rows.map((r) => r[0])), negate: compiled.negate };
  }

  async *backfill(ws: string, key: MatcherKey, step: EventStep): AsyncIterable<Hit[]> {
    const compiled = compileStepEvents(step, ws);
    const result = await this.client().query({
      query: compiled.sql,
      query_params: compiled.params,
      format: 'JSONCompactEachRow',
    });
    const rows = await result.json<[string, string, string, string, string]>();
    for (let i = 0; i < rows.length; i += BACKFILL_CHUNK)
      yield rows
        .slice(i, i + BACKFILL_CHUNK)
        .map(([messageId, profileId, at, userId, anonymousId]) => ({
          matcherKey: key,
          messageId,
          profileId,
          occurredAt: Number(at),
          userId,
          anonymousId,
        }));
  }
}
