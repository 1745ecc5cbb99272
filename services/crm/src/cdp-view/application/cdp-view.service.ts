import { createLogger } from '@cdp/observability';
import { cdpSummary } from '../domain/trait-changes';
import { type CdpViewStore, type RecentEvent, type RecentEventsReader } from './cdp-view.ports';

const log = createLogger('crm-cdp-view');

/** Recent events shown on a contact. */
const RECENT_EVENTS = 10;

export interface CdpView {
  readonly profileId: string;
  readonly linkedAt: string;
  readonly lastSeen: unknown;
  readonly totalRevenue: unknown;
  readonly traits: Readonly<Record<string, unknown>>;
  readonly segments: readonly string[];
  readonly recentEvents: readonly RecentEvent[];
  /** True when ClickHouse could not be read (the rest of the view is still current). */
  readonly recentEventsUnavailable?: true;
}

/** The CDP side of a contact: its profile, computed traits, segments and recent events. */
export class CdpViewService {
  constructor(
    private readonly store: CdpViewStore,
    private readonly events: RecentEventsReader | undefined,
  ) {}

  /** Null while the contact has not resolved to a profile. */
  async viewOf(workspaceId: string, contactId: string): Promise<CdpView | null> {
    const row = await this.store.read(workspaceId, contactId);
    if (!row) return null;
    let recentEvents: RecentEvent[] = [];
    let unavailable = this.events === undefined;
    if (this.events)
      try {
        recentEvents = await this.events.recent(workspaceId, row.profileId, RECENT_EVENTS);
      } catch (error) {
        // The CRM stays usable when ClickHouse is down or its tables do not exist yet.
        log.warn({ err: error, workspaceId }, 'recent events unavailable');
        unavailable = true;
      }
    const summary = cdpSummary(row.traits);
    return {
      profileId: row.profileId,
      linkedAt: row.linkedAt,
      lastSeen: summary.lastSeen,
      totalRevenue: summary.totalRevenue,
      traits: row.traits,
      segments: row.segments,
      recentEvents,
      ...(unavailable ? { recentEventsUnavailable: true as const } : {}),
    };
  }
}
