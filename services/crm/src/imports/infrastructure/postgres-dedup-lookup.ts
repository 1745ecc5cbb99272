import type { DataSource } from 'typeorm';
import { tableOf } from '../../records/infrastructure/read-model-schema';
import { type AggregateType } from '../../records/domain/record-types';
import { type DedupLookup } from '../application/import-records.use-case';

const COLUMN = { email: 'email', domain: 'domain', externalId: 'external_id' } as const;

/** Dedup lookups on the read models (indexed (workspace_id, column, id)). */
export class PostgresDedupLookup implements DedupLookup {
  constructor(private readonly postgres: DataSource) {}

  async find(
    workspaceId: string,
    type: AggregateType,
    field: 'email' | 'domain' | 'externalId',
    value: string,
  ): Promise<string | undefined> {
    // An external id names a record even when archived (the unique index covers both).
    const live = field === 'externalId' ? '' : 'AND NOT archived';
    const rows = await this.postgres.query<{ id: string }[]>(
      `SELECT id FROM ${tableOf(type)}
       WHERE workspace_id = $1 AND ${COLUMN[field]} = $2 ${live}
       ORDER BY created_at, id LIMIT 1`,
      [workspaceId, value],
    );
    return rows[0]?.id;
  }
}
