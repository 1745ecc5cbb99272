import { randomUUID } from 'node:crypto';
import { DomainError } from '@cdp/contracts';
import { createLogger } from '@cdp/observability';
import { findCycle, inputsOf } from '../domain/analysis';
import { type SegmentDefinition } from '../domain/definition';
import { parseDefinition } from '../domain/parse-definition';
import { type BatchEvaluator, type BatchSummary } from './batch-evaluator';
import {
  type BatchReads,
  type BehaviorQueries,
  type MatcherRegistry,
  type SegmentStore,
  type StoredSegment,
  type UnitOfWork,
} from './ports';
import { type SegmentCatalog } from './segment-catalog';

const log = createLogger('segments');

export interface SegmentInput {
  readonly name?: string;
  readonly description?: string;
  readonly definition?: unknown;
  readonly expectedVersion?: number;
}

/** Validates a submitted definition: a 400 whose details list every issue with its pointer. */
export function validDefinition(input: unknown): SegmentDefinition {
  const parsed = parseDefinition(input);
  if (!parsed.ok)
    throw new DomainError(
      'invalid',
      'segment.definition_invalid',
      `definition: ${parsed.issues[0]?.pointer || '/'} ${parsed.issues[0]?.message ?? ''}`,
      {
        issues: parsed.issues,
      },
    );
  return parsed.definition;
}

/**
 * Segment CRUD. Saving a definition validates it (pointers to the offending nodes), rejects
 * references to unknown segments and reference cycles, registers its event kinds for real-time
 * hits (backfilled from ClickHouse), then runs a batch evaluation.
 */
export class ManageSegmentsUseCase {
  constructor(
    private readonly store: SegmentStore,
    private readonly matchers: MatcherRegistry,
    private readonly behavior: BehaviorQueries,
    private readonly uow: UnitOfWork,
    private readonly catalog: SegmentCatalog,
    private readonly batch: BatchEvaluator,
    private readonly reads: BatchReads,
  ) {}

  async get(ws: string, id: string): Promise<StoredSegment> {
    const segment = await this.store.get(ws, id);
    if (!segment)
      throw new DomainError('not_found', 'segment.not_found', `segment ${id} not found`);
    return segment;
  }

  list(ws: string): Promise<StoredSegment[]> {
    return this.store.list(ws);
  }

  async create(
    ws: string,
    input: SegmentInput,
  ): Promise<{ segment: StoredSegment; evaluation: BatchSummary }> {
    if (!input.name)
      throw new DomainError('invalid', 'request.invalid', 'name: required', { field: 'name' });
    const definition = validDefinition(input.definition);
    const id = `seg_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    const refs = await this.checkReferences(ws, id, definition);
    await this.prepareHits(ws, definition);
    const segment = await this.store.create({
      workspaceId: ws,
      id,
      name: input.name,
      description: input.description ?? '',
      definition,
      refs,
    });
    this.catalog.invalidate(ws);
    return { segment, evaluation: await this.batch.evaluateSegment(segment) };
  }

  async update(
    ws: string,
    id: string,
    input: SegmentInput,
  ): Promise<{ segment: StoredSegment; evaluation?: BatchSummary }> {
    await this.get(ws, id);
    const definition =
      input.definition === undefined ? undefined : validDefinition(input.definition);
    const refs = definition ? await this.checkReferences(ws, id, definition) : undefined;
    if (definition) await this.prepareHits(ws, definition);
    const segment = await this.store.update(
      ws,
      id,
      {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(definition ? { definition } : {}),
        ...(refs ? { refs } : {}),
      },
      input.expectedVersion,
    );
    this.catalog.invalidate(ws);
    if (!definition) return { segment };
    return { segment, evaluation: await this.batch.evaluateSegment(segment) };
  }

  /** Deletes a segment nobody references; its members exit (MembershipChanged). */
  async delete(ws: string, id: string): Promise<void> {
    const segment = await this.get(ws, id);
    const dependents = await this.store.referencedBy(ws, id);
    if (dependents.length > 0)
      throw new DomainError(
        'conflict',
        'segment.referenced',
        `segment ${id} is used by ${dependents.join(', ')}`,
        { referencedBy: dependents },
      );
    await this.store.delete(ws, id);
    this.catalog.invalidate(ws);
    const members = [...(await this.reads.members(ws, id))];
    for (let i = 0; i < members.length; i += 5000)
      await this.uow.run((tx) =>
        tx.applyTransitions(ws, segment, 'batch', [], members.slice(i, i + 5000)),
      );
  }

  private async checkReferences(
    ws: string,
    id: string,
    definition: SegmentDefinition,
  ): Promise<string[]> {
    const refs = inputsOf(definition).segmentRefs;
    const stored = await this.store.references(ws);
    for (const ref of refs)
      if (!stored.has(ref))
        throw new DomainError(
          'invalid',
          'segment.reference_unknown',
          `definition references unknown segment ${ref}`,
          { segmentId: ref },
        );
    const cycle = findCycle(id, refs, (other) => stored.get(other));
    if (cycle)
      throw new DomainError(
        'invalid',
        'segment.reference_cycle',
        `segment references form a cycle: ${cycle.join(' → ')}`,
        { cycle },
      );
    return [...refs];
  }

  /** Registers the definition's event kinds and backfills hits of new ones from ClickHouse. */
  private async prepareHits(ws: string, definition: SegmentDefinition): Promise<void> {
    const steps = inputsOf(definition).steps;
    const fresh = await this.matchers.register(ws, steps);
    this.catalog.invalidate(ws);
    for (const key of fresh) {
      const step = steps.get(key);
      if (!step) continue;
      let count = 0;
      for await (const chunk of this.behavior.backfill(ws, key, step)) {
        await this.uow.run(async (tx) => {
          await tx.ensureProfiles(
            ws,
            chunk.map((h) => h.profileId),
          );
          await tx.insertHits(ws, chunk);
        });
        count += chunk.length;
      }
      await this.matchers.markBackfilled(ws, key);
      log.info({ workspaceId: ws, matcher: key, hits: count }, 'matcher backfilled');
    }
  }
}
