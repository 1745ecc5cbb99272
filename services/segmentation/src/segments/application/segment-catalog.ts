import { inputsOf, dependencyOrder, type DefinitionInputs } from '../domain/analysis';
import { type EventStep } from '../domain/definition';
import { type MatcherKey } from '../domain/event-matcher';
import { type SegmentStore, type StoredSegment } from './ports';

export interface ActiveSegment {
  readonly segment: StoredSegment;
  readonly inputs: DefinitionInputs;
}

export interface WorkspaceSegments {
  /** Dependency order: referenced segments before the segments that reference them. */
  readonly ordered: readonly ActiveSegment[];
  /** Every event kind some segment looks at. */
  readonly steps: ReadonlyMap<MatcherKey, EventStep>;
}

/** How long another pod's segment edits may take to reach this pod's real-time evaluation. */
const TTL_MS = 2000;

/**
 * Live segments per workspace with what each reads, cached briefly: real-time evaluation looks
 * them up for every message. Local edits invalidate at once; other pods' edits within TTL_MS.
 */
export class SegmentCatalog {
  private readonly cache = new Map<string, { at: number; value: Promise<WorkspaceSegments> }>();

  constructor(private readonly store: SegmentStore) {}

  invalidate(ws: string): void {
    this.cache.delete(ws);
  }

  get(ws: string): Promise<WorkspaceSegments> {
    const hit = this.cache.get(ws);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.value;
    const value = this.load(ws);
    this.cache.set(ws, { at: Date.now(), value });
    value.catch(() => this.cache.delete(ws));
    return value;
  }

  private async load(ws: string): Promise<WorkspaceSegments> {
    const segments = await this.store.list(ws);
    const active = new Map(
      segments.map((s) => [s.id, { segment: s, inputs: inputsOf(s.definition) }]),
    );
    const order = dependencyOrder(
      new Map([...active].map(([id, a]) => [id, a.inputs.segmentRefs])),
    );
    const steps = new Map<MatcherKey, EventStep>();
    for (const a of active.values()) for (const [key, step] of a.inputs.steps) steps.set(key, step);
    return {
      ordered: order.map((id) => active.get(id)).filter((a): a is ActiveSegment => a !== undefined),
      steps,
    };
  }
}
