import { type Identifier } from './identifier';
import { type Evidence } from './observation';
import { type ResolutionPlan, type ResolutionStep } from './resolve-observation';

/** `cdp.common.v1.Actor`. */
export interface Actor {
  readonly type: 'user' | 'api_key' | 'system' | 'integration';
  readonly id: string;
  readonly displayName?: string;
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: 'identity-resolution' };

/** One observation that supports a merge (`cdp.identity.v1.MergeEvidence`). */
export interface MergeEvidence extends Evidence {
  readonly identifiers: readonly Identifier[];
}

/** Two or more profiles are one person (`cdp.identity.v1.ProfileMerged`). */
export interface ProfileMerged {
  readonly kind: 'ProfileMerged';
  readonly mergeId: string;
  readonly workspaceId: string;
  readonly survivingProfileId: string;
  readonly mergedProfileIds: readonly string[];
  /** The identifiers of the observation that linked the profiles. */
  readonly identifiers: readonly Identifier[];
  readonly ruleId: 'observed_together';
  readonly evidence: readonly MergeEvidence[];
  readonly actor: Actor;
  /** How resolution got there, rule by rule (for the merge ledger). */
  readonly steps: readonly ResolutionStep[];
}

/** A profile became several (`cdp.identity.v1.ProfileSplit`). */
export interface ProfileSplit {
  readonly kind: 'ProfileSplit';
  readonly splitId: string;
  readonly workspaceId: string;
  readonly sourceProfileId: string;
  readonly parts: readonly {
    readonly profileId: string;
    readonly identifiers: readonly Identifier[];
  }[];
  readonly reason: string;
  readonly actor: Actor;
}

export type IdentityDomainEvent = ProfileMerged | ProfileSplit;

/** The ProfileMerged event of a plan that merges, else undefined. */
export function profileMergedOf(
  plan: ResolutionPlan,
  workspaceId: string,
  mergeId: string,
  actor: Actor = SYSTEM_ACTOR,
): ProfileMerged | undefined {
  if (!plan.merge) return undefined;
  return {
    kind: 'ProfileMerged',
    mergeId,
    workspaceId,
    survivingProfileId: plan.merge.survivorId,
    mergedProfileIds: plan.merge.mergedIds,
    identifiers: plan.resolved,
    ruleId: 'observed_together',
    evidence: [{ ...plan.evidence, identifiers: plan.resolved }],
    actor,
    steps: plan.steps,
  };
}
