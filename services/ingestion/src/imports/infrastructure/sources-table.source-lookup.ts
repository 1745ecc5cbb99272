import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { POSTGRES } from '@cdp/runtime';
import type { ImportSourceLookup } from '../application/import-source-lookup.port';

/**
 * Looks the source up in the sources feature's table (same service, same schema): it must be in
 * the workspace and enabled (a disabled source collects nothing, imports included).
 */
@Injectable()
export class SourcesTableSourceLookup implements ImportSourceLookup {
  constructor(@Inject(POSTGRES) private readonly db: DataSource) {}

  async exists(workspaceId: string, sourceId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `SELECT 1 FROM ingestion.sources WHERE workspace_id = $1 AND id = $2 AND enabled LIMIT 1`,
      [workspaceId, sourceId],
    );
    return rows.length > 0;
  }
}
