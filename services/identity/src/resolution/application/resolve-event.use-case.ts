import { extractObservation, type IdentityEventInput } from '../domain/extract-observation';
import { type RejectedIdentifier } from '../domain/normalise-identifier';
import { type IdentityConfigProvider, type SourceKindLookup } from './identity-settings.port';
import {
  type ResolveObservationResult,
  type ResolveObservationUseCase,
} from './resolve-observation.use-case';

export interface ResolveEventCommand {
  readonly event: IdentityEventInput;
}

export interface ResolveEventResult extends ResolveObservationResult {
  /** Values of the event that looked like identifiers and were refused, with the rule. */
  readonly rejected: readonly RejectedIdentifier[];
}

/**
 * Resolves one accepted event to its canonical profile: reads and normalises its identifiers
 * per the event type and the workspace's rules, then resolves them as one observation.
 */
export class ResolveEventUseCase {
  constructor(
    private readonly configs: IdentityConfigProvider,
    private readonly sources: SourceKindLookup,
    private readonly resolveObservation: ResolveObservationUseCase,
  ) {}

  async execute(command: ResolveEventCommand): Promise<ResolveEventResult> {
    const { event } = command;
    const [config, sourceKind] = await Promise.all([
      this.configs.configFor(event.workspaceId),
      this.sources.kindOf(event.workspaceId, event.sourceId),
    ]);
    const { observation, rejected } = extractObservation(event, config, sourceKind);
    const result = await this.resolveObservation.execute({ observation });
    return { ...result, rejected };
  }
}
