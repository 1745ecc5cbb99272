import {
  crmContactObservation,
  crmContactResolvedEvent,
  isCrmEcho,
  type CrmContactChange,
} from '../domain/crm-contact-observation';
import { type RejectedIdentifier } from '../domain/normalise-identifier';
import { type IdentityConfigProvider } from './identity-settings.port';
import {
  type ResolveObservationResult,
  type ResolveObservationUseCase,
} from './resolve-observation.use-case';

export type ResolveCrmContactResult =
  | { readonly kind: 'skipped'; readonly reason: string }
  | {
      readonly kind: 'resolved';
      readonly resolution: ResolveObservationResult;
      /** The synthetic identify to publish on the resolved stream. */
      readonly resolvedEvent: Record<string, unknown>;
      readonly rejected: readonly RejectedIdentifier[];
    };

/**
 * A CRM contact change as identity evidence: the contact id, email and phone are resolved as
 * one observation from the trusted `crm` source, and the change comes back as a synthetic
 * identify stamped with the profile. Idempotent like every resolution (the observation's
 * message id is `crm-contact-<id>-v<version>`).
 */
export class ResolveCrmContactUseCase {
  constructor(
    private readonly configs: IdentityConfigProvider,
    private readonly resolveObservation: ResolveObservationUseCase,
  ) {}

  async execute(change: CrmContactChange): Promise<ResolveCrmContactResult> {
    if (isCrmEcho(change))
      return { kind: 'skipped', reason: 'origin cdp: the CRM echoed a CDP change' };
    const config = await this.configs.configFor(change.workspaceId);
    const { observation, rejected } = crmContactObservation(change, config);
    const resolution = await this.resolveObservation.execute({ observation });
    return {
      kind: 'resolved',
      resolution,
      resolvedEvent: crmContactResolvedEvent(change, resolution.profileId),
      rejected,
    };
  }
}
