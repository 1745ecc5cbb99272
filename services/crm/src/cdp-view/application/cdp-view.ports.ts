import { type TraitChange } from '../domain/trait-changes';

export interface ContactLink {
  readonly contactId: string;
  readonly profileId: string;
  /** The contact version the link was observed at (a later version's link wins). */
  readonly contactVersion: number;
}

export interface MembershipChange {
  readonly profileId: string;
  readonly member: boolean;
}

/** The CDP-view projection (Postgres); every write is idempotent on its own. */
export interface CdpViewStore {
  /** Runs `work` once per message id (the inbox), with the writes in one transaction. */
  once(
    consumer: string,
    workspaceId: string,
    messageId: string,
    work: (tx: CdpViewWriter) => Promise<void>,
  ): Promise<boolean>;
  read(
    workspaceId: string,
    contactId: string,
  ): Promise<
    | {
        profileId: string;
        linkedAt: string;
        traits: Readonly<Record<string, unknown>>;
        segments: string[];
      }
    | undefined
  >;
}

export interface CdpViewWriter {
  link(workspaceId: string, links: readonly ContactLink[]): Promise<number>;
  repoint(workspaceId: string, survivorId: string, mergedIds: readonly string[]): Promise<void>;
  /** After a split: each contact follows the part holding its `crm_contact_id`. */
  split(
    workspaceId: string,
    sourceProfileId: string,
    contactsByPart: readonly { profileId: string; contactIds: readonly string[] }[],
  ): Promise<void>;
  updateTraits(
    workspaceId: string,
    profileId: string,
    version: number,
    changes: readonly TraitChange[],
  ): Promise<boolean>;
  memberships(
    workspaceId: string,
    segmentId: string,
    segmentVersion: number,
    changes: readonly MembershipChange[],
  ): Promise<void>;
}

export interface RecentEvent {
  readonly messageId: string;
  readonly type: string;
  readonly event: string;
  readonly timestamp: string;
  readonly sourceId: string;
}

/** Behavioral events of a profile (ClickHouse `events` through `identity_map`). */
export interface RecentEventsReader {
  recent(workspaceId: string, profileId: string, limit: number): Promise<RecentEvent[]>;
}
