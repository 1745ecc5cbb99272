import { randomBytes } from 'node:crypto';

/** Collection channels of a workspace (Segment's source types, simplified). */
export const SOURCE_KINDS = ['browser', 'server', 'mobile', 'import'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const SOURCE_NAME_MAX_LENGTH = 100;

/** A collection channel of a workspace; events reach it through its write keys. */
export interface Source {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly kind: SourceKind;
  /** A disabled source's write keys are rejected (401) until it is enabled again. */
  readonly enabled: boolean;
  readonly trackingPlanId: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

const SOURCE_ID = /^src_[0-9a-f]{24}$/;

/** `src_` + 24 hex chars (96 random bits). */
export function generateSourceId(): string {
  return `src_${randomBytes(12).toString('hex')}`;
}

export function isSourceId(value: string): boolean {
  return SOURCE_ID.test(value);
}
