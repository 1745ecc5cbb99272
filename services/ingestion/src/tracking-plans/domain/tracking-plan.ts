import { randomBytes } from 'node:crypto';

/** allow: keep events as sent; flag: keep them with violations recorded; block: reject them. */
export const PLAN_MODES = ['allow', 'flag', 'block'] as const;
export type PlanMode = (typeof PLAN_MODES)[number];

/** A JSON Schema (draft 2020-12 / draft-07 vocabulary as ajv accepts it) or a boolean schema. */
export type JsonSchema = boolean | { readonly [keyword: string]: unknown };

/** What a plan expects of each kind of call. */
export interface TrackingPlanRules {
  /** track: event name → schema of `properties`. */
  readonly events: Readonly<Record<string, JsonSchema>>;
  /** identify: schema of `traits`. */
  readonly identify?: JsonSchema;
  /** group: schema of `traits`. */
  readonly group?: JsonSchema;
  /** page / screen: name → schema of `properties` (names not listed are not checked). */
  readonly pages: Readonly<Record<string, JsonSchema>>;
  readonly screens: Readonly<Record<string, JsonSchema>>;
  /** Whether a track event whose name is not in `events` is fine (otherwise a violation at `event`). */
  readonly allowUnplannedEvents: boolean;
}

export interface TrackingPlan {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly mode: PlanMode;
  readonly rules: TrackingPlanRules;
  /** Grows by one on every change: compiled validators are cached per (id, version). */
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export const TRACKING_PLAN_NAME_MAX_LENGTH = 100;
const PLAN_ID = /^tp_[0-9a-f]{24}$/;

export function generateTrackingPlanId(): string {
  return `tp_${randomBytes(12).toString('hex')}`;
}

export function isTrackingPlanId(value: string): boolean {
  return PLAN_ID.test(value);
}
