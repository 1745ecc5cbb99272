import { DomainError } from '@cdp/contracts';
import { type JsonObject } from '../domain/json';
import { viewProfile, type ProfileState, type ProfileView } from '../domain/profile-state';
import { type DefinitionSource } from './profile-store.port';

export interface ProfileReader {
  /** The live profile `id` answers with (itself, or the survivor it was merged into). */
  find(workspaceId: string, id: string): Promise<ProfileState | undefined>;
  /** Live profiles whose traits contain `filter`, by id after `after`. */
  list(
    workspaceId: string,
    filter: JsonObject,
    after: string,
    limit: number,
  ): Promise<ProfileState[]>;
}

/** Identifier → current profile id (identity's `identity_map`). */
export interface IdentifierLookup {
  profileOf(workspaceId: string, type: string, value: string): Promise<string | undefined>;
}

export interface TimelineCursor {
  readonly at: string;
  readonly messageId: string;
}

export interface TimelineQuery {
  readonly workspaceId: string;
  readonly profileId: string;
  readonly limit: number;
  readonly event?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly cursor?: TimelineCursor | undefined;
}

export type TimelineEvent = Record<string, unknown> & { messageId: string; timestamp: string };

export interface TimelinePage {
  readonly data: readonly TimelineEvent[];
  readonly next: TimelineCursor | undefined;
}

export interface TimelineReader {
  timeline(query: TimelineQuery): Promise<TimelinePage>;
}

function notFound(id: string): DomainError {
  return new DomainError('not_found', 'profile.not_found', `profile ${id} not found`, { id });
}

/** Emails compare lower-cased and trimmed, phones as E.164-ish digits, like identity stores them. */
export function normaliseLookupValue(type: string, value: string): string {
  const trimmed = value.trim();
  if (type === 'email') return trimmed.toLowerCase().replace(/^mailto:/, '');
  if (type === 'phone') {
    const digits = trimmed.replace(/[^0-9]/g, '');
    return trimmed.startsWith('+') || trimmed.startsWith('00')
      ? `+${digits.replace(/^00/, '')}`
      : digits;
  }
  return trimmed;
}

/** Reads of profiles: by id (aliases answer with the survivor), by identifier, lists, timeline. */
export class ProfileQueriesService {
  constructor(
    private readonly reader: ProfileReader,
    private readonly definitions: DefinitionSource,
    private readonly identifiers: IdentifierLookup,
    private readonly timelines: TimelineReader,
  ) {}

  async get(workspaceId: string, id: string, now = new Date()): Promise<ProfileView> {
    const state = await this.reader.find(workspaceId, id);
    if (!state) throw notFound(id);
    return viewProfile(state, await this.definitions.definitions(workspaceId), now);
  }

  /** The profile holding an identifier, or undefined (unknown, or not projected yet). */
  async lookup(workspaceId: string, type: string, value: string): Promise<ProfileView | undefined> {
    const normalised = normaliseLookupValue(type, value);
    const id = await this.identifiers.profileOf(workspaceId, type, normalised);
    if (id === undefined) return undefined;
    const state = await this.reader.find(workspaceId, id);
    if (!state) return undefined;
    return viewProfile(state, await this.definitions.definitions(workspaceId), new Date());
  }

  async list(
    workspaceId: string,
    filter: JsonObject,
    cursor: string,
    limit: number,
  ): Promise<{ data: ProfileView[]; next: string | undefined }> {
    const states = await this.reader.list(workspaceId, filter, cursor, limit + 1);
    const definitions = await this.definitions.definitions(workspaceId);
    const now = new Date();
    const page = states.slice(0, limit);
    return {
      data: page.map((s) => viewProfile(s, definitions, now)),
      next: states.length > limit ? page.at(-1)?.id : undefined,
    };
  }

  async timeline(query: TimelineQuery): Promise<{ profileId: string } & TimelinePage> {
    const state = await this.reader.find(query.workspaceId, query.profileId);
    if (!state) throw notFound(query.profileId);
    const page = await this.timelines.timeline({ ...query, profileId: state.id });
    return { profileId: state.id, ...page };
  }
}
