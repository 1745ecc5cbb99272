import { type IdentityEventInput } from '../../src/resolution/domain/extract-observation';
import {
  IdentityConfig,
  type IdentityConfigInput,
  type SourceKind,
} from '../../src/resolution/domain/identity-config';
import {
  InMemoryIdentityGraph,
  type InMemoryGraphOptions,
} from '../../src/resolution/application/in-memory-identity-graph';
import { ResolveEventUseCase } from '../../src/resolution/application/resolve-event.use-case';
import { ResolveObservationUseCase } from '../../src/resolution/application/resolve-observation.use-case';
import { ResolveEventBatchUseCase } from '../../src/resolution/application/resolve-event-batch.use-case';

export const WORKSPACE = 'ws_test';

/** Source ids used by fixtures, with their kind. */
export const SOURCES: Readonly<Record<string, SourceKind>> = {
  src_web: 'browser',
  src_app: 'mobile',
  src_backend: 'server',
  src_crm: 'crm',
};

/** The identity service's application layer wired to in-memory ports. */
export function identityHarness(
  configInput: IdentityConfigInput = {},
  options: InMemoryGraphOptions = {},
) {
  const config = IdentityConfig.from(configInput);
  const graph = new InMemoryIdentityGraph(options);
  let profiles = 0;
  let merges = 0;
  const configs = { configFor: () => Promise.resolve(config) };
  const observations = new ResolveObservationUseCase(graph, configs, {
    profileId: () => `prof_${++profiles}`,
    mergeId: () => `merge_${++merges}`,
  });
  const events = new ResolveEventUseCase(
    configs,
    { kindOf: (_w, sourceId) => Promise.resolve(SOURCES[sourceId] ?? 'browser') },
    observations,
  );
  // Its own counters, used alone: the same ids in the same order as the one-by-one path.
  let batchProfiles = 0;
  let batchMerges = 0;
  const batches = new ResolveEventBatchUseCase(
    graph,
    configs,
    { kindOf: (_w, sourceId) => Promise.resolve(SOURCES[sourceId] ?? 'browser') },
    { profileId: () => `prof_${++batchProfiles}`, mergeId: () => `merge_${++batchMerges}` },
  );
  return { config, graph, observations, events, batches };
}

let sequence = 0;
/** An accepted event with defaults: an identify from the web source at a given day/hour. */
export function event(
  fields: Partial<IdentityEventInput> & Pick<IdentityEventInput, 'type'>,
): IdentityEventInput {
  sequence++;
  return {
    messageId: `msg_${sequence}`,
    workspaceId: WORKSPACE,
    sourceId: 'src_web',
    timestamp: new Date(Date.UTC(2025, 0, 1) + sequence * 60_000).toISOString(),
    ...fields,
  };
}
