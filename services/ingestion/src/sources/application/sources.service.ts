import { DomainError } from '@cdp/contracts';
import { type Clock, type KeyChangeBus, type TenantContext } from '@cdp/tenancy';
import {
  generateSourceId,
  isSourceId,
  SOURCE_NAME_MAX_LENGTH,
  type Source,
  type SourceKind,
} from '../domain/source';
import {
  type SourceRepository,
  type TrackingPlanDirectory,
  type WriteKeyRepository,
} from './ports';

export interface CreateSourceInput {
  readonly name: string;
  readonly kind: SourceKind;
  readonly enabled?: boolean;
  readonly trackingPlanId?: string | null;
}

export interface UpdateSourceInput {
  readonly name?: string;
  readonly enabled?: boolean;
  readonly trackingPlanId?: string | null;
}

export function sourceNotFound(sourceId: string): DomainError {
  // Same answer for "does not exist" and "belongs to another workspace".
  return new DomainError('not_found', 'source.not_found', `source ${sourceId} not found`, {
    sourceId,
  });
}

/** Sources of the caller's workspace: create, list, get, update (name, enabled, plan), delete. */
export class SourcesService {
  constructor(
    private readonly sources: SourceRepository,
    private readonly writeKeys: WriteKeyRepository,
    private readonly plans: TrackingPlanDirectory,
    private readonly writeKeyChanges: KeyChangeBus,
    private readonly planChanges: KeyChangeBus,
    private readonly clock: Clock,
  ) {}

  async create(actor: TenantContext, input: CreateSourceInput): Promise<Source> {
    const now = this.clock.now();
    const trackingPlanId = input.trackingPlanId ?? null;
    if (trackingPlanId !== null) await this.requirePlan(actor.workspaceId, trackingPlanId);
    const source: Source = {
      id: generateSourceId(),
      workspaceId: actor.workspaceId,
      name: validName(input.name),
      kind: input.kind,
      enabled: input.enabled ?? true,
      trackingPlanId,
      createdAt: now,
      updatedAt: now,
    };
    await this.sources.insert(source);
    return source;
  }

  list(actor: TenantContext): Promise<Source[]> {
    return this.sources.list(actor.workspaceId);
  }

  async get(actor: TenantContext, sourceId: string): Promise<Source> {
    if (!isSourceId(sourceId)) throw sourceNotFound(sourceId);
    const source = await this.sources.find(actor.workspaceId, sourceId);
    if (source === undefined) throw sourceNotFound(sourceId);
    return source;
  }

  /**
   * Disabling (or enabling) takes effect in every process at once: each write key of the source
   * is broadcast as `owner_changed`, so verifiers drop their cached record and re-read it.
   */
  async update(actor: TenantContext, sourceId: string, input: UpdateSourceInput): Promise<Source> {
    const before = await this.get(actor, sourceId);
    const patch: { name?: string; enabled?: boolean; trackingPlanId?: string | null } = {};
    if (input.name !== undefined) patch.name = validName(input.name);
    if (input.enabled !== undefined) patch.enabled = input.enabled;
    if (input.trackingPlanId !== undefined) {
      if (input.trackingPlanId !== null)
        await this.requirePlan(actor.workspaceId, input.trackingPlanId);
      patch.trackingPlanId = input.trackingPlanId;
    }
    if (Object.keys(patch).length === 0) return before;
    const updated = await this.sources.update(actor.workspaceId, sourceId, patch, this.clock.now());
    if (updated === undefined) throw sourceNotFound(sourceId);
    if (updated.enabled !== before.enabled) {
      const keys = await this.writeKeys.listBySource(actor.workspaceId, sourceId);
      await this.broadcastKeys(
        actor.workspaceId,
        keys.map((k) => k.id),
      );
    }
    if (updated.trackingPlanId !== before.trackingPlanId) {
      await this.planChanges.publish({
        workspaceId: actor.workspaceId,
        keyId: sourceId,
        change: 'owner_changed',
      });
    }
    return updated;
  }

  /** Deletes the source and its write keys (rejected everywhere from now on). */
  async delete(actor: TenantContext, sourceId: string): Promise<Source> {
    const source = await this.get(actor, sourceId);
    const keyIds = await this.sources.delete(actor.workspaceId, sourceId);
    if (keyIds === undefined) throw sourceNotFound(sourceId);
    await this.broadcastKeys(actor.workspaceId, keyIds);
    await this.planChanges.publish({
      workspaceId: actor.workspaceId,
      keyId: sourceId,
      change: 'owner_changed',
    });
    return source;
  }

  private async broadcastKeys(workspaceId: string, keyIds: readonly string[]): Promise<void> {
    for (const keyId of keyIds)
      await this.writeKeyChanges.publish({ workspaceId, keyId, change: 'owner_changed' });
  }

  private async requirePlan(workspaceId: string, planId: string): Promise<void> {
    if (!(await this.plans.exists(workspaceId, planId))) {
      throw new DomainError(
        'invalid',
        'source.unknown_tracking_plan',
        `tracking plan ${planId} not found`,
        { field: 'trackingPlanId', trackingPlanId: planId },
      );
    }
  }
}

function validName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > SOURCE_NAME_MAX_LENGTH) {
    throw new DomainError(
      'invalid',
      'source.invalid_name',
      `name must be 1 to ${SOURCE_NAME_MAX_LENGTH} characters`,
      { field: 'name' },
    );
  }
  return trimmed;
}
