import { DomainError } from '@cdp/contracts';
import { uniqueIdentifiers, type Identifier } from '../domain/identifier';
import { normaliseIdentifier } from '../domain/normalise-identifier';
import { type IdentityConfigProvider } from './identity-settings.port';
import {
  type ResolveObservationResult,
  type ResolveObservationUseCase,
} from './resolve-observation.use-case';

export interface ObserveIdentifiersCommand {
  readonly workspaceId: string;
  /** Raw values, normalised like an event's. */
  readonly identifiers: readonly { readonly type: string; readonly value: string }[];
  /** Id of the observation in the caller's system; a retry with the same id changes nothing. */
  readonly messageId: string;
  /** The API key that reported it. */
  readonly keyId: string;
  readonly observedAt: string;
}

/**
 * Identifiers an operator or an integration states belong together (`POST
 * /v1/identity/observations`): resolved like an event's, with `manual` evidence from an `api`
 * source (trusted: it may merge known profiles, so it needs identity:write).
 */
export class ObserveIdentifiersUseCase {
  constructor(
    private readonly configs: IdentityConfigProvider,
    private readonly resolveObservation: ResolveObservationUseCase,
  ) {}

  async execute(command: ObserveIdentifiersCommand): Promise<ResolveObservationResult> {
    const config = await this.configs.configFor(command.workspaceId);
    const identifiers: Identifier[] = [];
    command.identifiers.forEach((raw, index) => {
      const result = normaliseIdentifier(config, raw.type, raw.value, `identifiers.${index}`);
      if (!result.ok)
        throw new DomainError(
          'invalid',
          'identity.invalid_identifier',
          `identifiers.${index}: ${raw.type} is not a valid identifier (${result.rejected.rule})`,
          { field: `identifiers.${index}`, rule: result.rejected.rule },
        );
      identifiers.push(result.identifier);
    });
    return this.resolveObservation.execute({
      observation: {
        workspaceId: command.workspaceId,
        identifiers: uniqueIdentifiers(identifiers),
        evidence: {
          source: 'manual',
          messageId: command.messageId,
          sourceId: command.keyId,
          sourceKind: 'api',
          observedAt: command.observedAt,
        },
      },
    });
  }
}
