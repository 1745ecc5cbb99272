import { profileMergedOf, type ProfileMerged } from '../domain/identity-events';
import { type Observation } from '../domain/observation';
import {
  lookupKeys,
  resolveObservation,
  type ResolutionOutcome,
  type ResolutionPlan,
} from '../domain/resolve-observation';
import { GraphChangedError } from './graph-changed.error';
import { type IdentityGraphRepository } from './identity-graph.port';
import { type IdGenerator, type IdentityConfigProvider } from './identity-settings.port';

export interface ResolveObservationCommand {
  readonly observation: Observation;
}

export interface ResolveObservationResult {
  /** Canonical profile id; null when the observation carried no usable identifier. */
  readonly profileId: string | null;
  readonly outcome: ResolutionOutcome;
  readonly plan: ResolutionPlan;
  /** ProfileMerged when the observation merged profiles. */
  readonly events: readonly ProfileMerged[];
}

/** Times a resolution is re-planned when a concurrent merge moved a profile under it. */
const MAX_ATTEMPTS = 5;

/**
 * Resolves identifiers seen together (an event, a CRM contact change, an import row): locks
 * them, loads the profiles holding them, plans with the workspace's rules and applies the plan.
 * Idempotent: replaying an observation finds its identifiers on one profile and changes nothing
 * (conflicts are recorded once per message and identifier).
 */
export class ResolveObservationUseCase {
  constructor(
    private readonly graph: IdentityGraphRepository,
    private readonly configs: IdentityConfigProvider,
    private readonly ids: IdGenerator,
  ) {}

  async execute(command: ResolveObservationCommand): Promise<ResolveObservationResult> {
    const { observation } = command;
    const config = await this.configs.configFor(observation.workspaceId);
    const keys = lookupKeys(observation);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.graph.withLocks(observation.workspaceId, keys, async (tx) => {
          const snapshot = await tx.loadSnapshot(keys);
          const plan = resolveObservation(observation, snapshot, config, this.ids.profileId());
          const merged = plan.merge
            ? profileMergedOf(plan, observation.workspaceId, this.ids.mergeId())
            : undefined;
          await tx.apply(plan, merged);
          return {
            profileId: plan.profileId,
            outcome: plan.outcome,
            plan,
            events: merged ? [merged] : [],
          };
        });
      } catch (error) {
        if (!(error instanceof GraphChangedError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}
