import { join } from 'node:path';
import {
  loadClickHouseMigrations,
  runClickHouseMigrations,
  type ClickHouseClient,
} from '@cdp/persistence';

/** Repository root, from dist/test/support. */
const ROOT = join(__dirname, '..', '..', '..', '..', '..');

/**
 * Creates the tables segmentation reads but other services own (ingestion's `events`,
 * identity's `identity_map`) from their own migration files, since those services do not run
 * in these tests.
 */
export async function createUpstreamTables(clickhouse: ClickHouseClient): Promise<void> {
  for (const service of ['ingestion', 'identity'])
    await runClickHouseMigrations(clickhouse, {
      service,
      migrations: loadClickHouseMigrations(
        join(ROOT, 'services', service, 'migrations', 'clickhouse'),
      ),
    });
}

/** A behavioral event the way the ingestion writer stores it (only what segmentation reads). */
export interface StoredEvent {
  readonly workspaceId: string;
  readonly messageId: string;
  readonly type: string;
  readonly event: string;
  readonly userId?: string;
  readonly anonymousId?: string;
  readonly properties?: Record<string, unknown>;
  /** Epoch ms. */
  readonly timestamp: number;
}

export function clickhouseTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export async function insertEvents(
  clickhouse: ClickHouseClient,
  events: readonly StoredEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await clickhouse.insert({
    table: 'events',
    format: 'JSONEachRow',
    values: events.map((e) => {
      const raw = {
        type: e.type,
        messageId: e.messageId,
        ...(e.userId ? { userId: e.userId } : {}),
        ...(e.anonymousId ? { anonymousId: e.anonymousId } : {}),
        event: e.event,
        properties: e.properties ?? {},
        timestamp: new Date(e.timestamp).toISOString(),
      };
      return {
        workspace_id: e.workspaceId,
        message_id: e.messageId,
        type: e.type,
        event: e.event,
        name: '',
        category: '',
        anonymous_id: e.anonymousId ?? '',
        user_id: e.userId ?? '',
        group_id: '',
        previous_id: '',
        source_id: 'src',
        write_key_id: 'wk',
        timestamp: clickhouseTime(e.timestamp),
        received_at: clickhouseTime(e.timestamp),
        properties: {},
        traits: {},
        context: {},
        integrations: '{}',
        violations: [],
        raw: JSON.stringify(raw),
      };
    }),
  });
}

export interface MapRow {
  readonly workspaceId: string;
  readonly type: 'user_id' | 'anonymous_id';
  readonly value: string;
  readonly profileId: string;
  readonly version: number;
}

export async function insertIdentityMap(
  clickhouse: ClickHouseClient,
  rows: readonly MapRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await clickhouse.insert({
    table: 'identity_map',
    format: 'JSONEachRow',
    values: rows.map((r) => ({
      workspace_id: r.workspaceId,
      identifier_type: r.type,
      identifier_value: r.value,
      profile_id: r.profileId,
      version: r.version,
    })),
  });
}
