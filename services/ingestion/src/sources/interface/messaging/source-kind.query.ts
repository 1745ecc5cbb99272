import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { DomainError, querySubject } from '@cdp/contracts';
import { QueryContext } from '@cdp/messaging';
import { SOURCE_REPOSITORY, type SourceRepository } from '../../application/ports';
import { isSourceId, type SourceKind } from '../../domain/source';
import { sourceNotFound } from '../../application/sources.service';

/** `cdp.query.ingestion.source-kind.v1`: identity asks how far it may trust a source. */
export const SOURCE_KIND_QUERY = querySubject('ingestion', 'source-kind');

/**
 * Answers `{sourceId}` (workspace in the `cdp-workspace` header) with `{kind}`: the source
 * registry is the one place that knows whether a source is a browser, a server... A source's
 * kind never changes, so askers may cache the answer. Another workspace's source is not_found.
 */
@Controller()
export class SourceKindQueryController {
  constructor(@Inject(SOURCE_REPOSITORY) private readonly sources: SourceRepository) {}

  @MessagePattern(SOURCE_KIND_QUERY)
  async kindOf(
    @Payload() payload: unknown,
    @Ctx() ctx: QueryContext,
  ): Promise<{ kind: SourceKind }> {
    const sourceId =
      typeof payload === 'object' && payload !== null
        ? (payload as { sourceId?: unknown }).sourceId
        : undefined;
    if (ctx.workspaceId === undefined || typeof sourceId !== 'string')
      throw new DomainError(
        'invalid',
        'source.kind_query_invalid',
        'expected {sourceId} and a workspace',
      );
    if (!isSourceId(sourceId)) throw sourceNotFound(sourceId);
    const source = await this.sources.find(ctx.workspaceId, sourceId);
    if (source === undefined) throw sourceNotFound(sourceId);
    return { kind: source.kind };
  }
}
