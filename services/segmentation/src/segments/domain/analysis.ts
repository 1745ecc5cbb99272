import {
  type BehavioralCondition,
  type Condition,
  type EventStep,
  type SegmentDefinition,
} from './definition';
import { matcherKey, type MatcherKey } from './event-matcher';

/** What a definition reads: which inputs can change its result (real-time routing index). */
export interface DefinitionInputs {
  readonly traitKeys: ReadonlySet<string>;
  readonly steps: ReadonlyMap<MatcherKey, EventStep>;
  readonly segmentRefs: ReadonlySet<string>;
  readonly usesCrm: boolean;
  readonly behavioral: readonly BehavioralCondition[];
  /** Whether the result can change as time passes (relative windows or relative dates). */
  readonly timeDependent: boolean;
}

export function inputsOf(definition: SegmentDefinition): DefinitionInputs {
  const traitKeys = new Set<string>();
  const steps = new Map<MatcherKey, EventStep>();
  const segmentRefs = new Set<string>();
  const behavioral: BehavioralCondition[] = [];
  let usesCrm = false;
  let timeDependent = false;
  const relative = (operator: string): boolean =>
    operator === 'within_last' || operator === 'more_than_ago';
  const visit = (node: Condition): void => {
    switch (node.type) {
      case 'and':
      case 'or':
        node.conditions.forEach(visit);
        return;
      case 'not':
        visit(node.condition);
        return;
      case 'trait':
        traitKeys.add(node.key);
        timeDependent ||= relative(node.operator);
        return;
      case 'computed':
        traitKeys.add(`computed.${node.trait}`);
        timeDependent ||= relative(node.operator);
        return;
      case 'event':
        steps.set(matcherKey(node), {
          event: node.event,
          ...(node.where ? { where: node.where } : {}),
        });
        behavioral.push(node);
        timeDependent ||= node.window?.type === 'last';
        return;
      case 'sequence':
        for (const step of node.steps) steps.set(matcherKey(step), step);
        behavioral.push(node);
        timeDependent ||= node.window?.type === 'last';
        return;
      case 'company':
        usesCrm = true;
        timeDependent ||= relative(node.operator);
        return;
      case 'deal':
      case 'open_tickets':
        usesCrm = true;
        return;
      case 'segment':
        segmentRefs.add(node.segmentId);
        return;
    }
  };
  visit(definition.condition);
  return { traitKeys, steps, segmentRefs, usesCrm, behavioral, timeDependent };
}

/**
 * The reference chain that leads from `segmentId` (with its new references) back to itself, or
 * undefined when there is none. `refsOf` gives the stored references of other segments.
 */
export function findCycle(
  segmentId: string,
  newRefs: ReadonlySet<string>,
  refsOf: (id: string) => ReadonlySet<string> | undefined,
): string[] | undefined {
  const visiting = new Set<string>();
  const done = new Set<string>();
  const walk = (id: string, path: string[]): string[] | undefined => {
    if (id === segmentId) return [...path, id];
    if (done.has(id) || visiting.has(id)) return undefined;
    visiting.add(id);
    for (const next of refsOf(id) ?? []) {
      const cycle = walk(next, [...path, id]);
      if (cycle) return cycle;
    }
    visiting.delete(id);
    done.add(id);
    return undefined;
  };
  for (const ref of newRefs) {
    const cycle = walk(ref, [segmentId]);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * Orders segment ids so that every segment comes after the segments it references (real-time
 * evaluation of one profile evaluates referenced segments first). Ids in a cycle (rejected on
 * write, so only from corrupt data) are appended at the end.
 */
export function dependencyOrder(refs: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string): void => {
    if (state.get(id) !== undefined) return;
    state.set(id, 'visiting');
    for (const ref of refs.get(id) ?? []) if (refs.has(ref)) visit(ref);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of [...refs.keys()].sort()) visit(id);
  return order;
}
