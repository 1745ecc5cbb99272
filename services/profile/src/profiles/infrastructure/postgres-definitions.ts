import type { DataSource } from 'typeorm';
import { DomainError } from '@cdp/contracts';
import { type DefinitionSource } from '../application/profile-store.port';
import { type CustomTraitDefinition } from '../domain/custom-trait';

/** How long a pod trusts its cached definitions (another pod's change shows within this). */
const CACHE_MS = 5_000;

/**
 * Custom computed-trait definitions (`profile.computed_trait_definitions`), cached per
 * workspace for the hot path: the projection reads them for every batch.
 */
export class PostgresDefinitions implements DefinitionSource {
  private readonly cache = new Map<
    string,
    { at: number; value: Promise<readonly CustomTraitDefinition[]> }
  >();

  constructor(private readonly postgres: DataSource) {}

  definitions(workspaceId: string): Promise<readonly CustomTraitDefinition[]> {
    const hit = this.cache.get(workspaceId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
    const value = this.postgres
      .query<{ definition: CustomTraitDefinition }[]>(
        `SELECT definition FROM profile.computed_trait_definitions
         WHERE workspace_id = $1 ORDER BY key`,
        [workspaceId],
      )
      .then((rows) => rows.map((r) => r.definition));
    this.cache.set(workspaceId, { at: Date.now(), value });
    value.catch(() => this.cache.delete(workspaceId));
    return value;
  }

  async create(workspaceId: string, definition: CustomTraitDefinition): Promise<void> {
    const rows = await this.postgres.query<unknown[]>(
      `INSERT INTO profile.computed_trait_definitions (workspace_id, key, definition)
       VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING key`,
      [workspaceId, definition.key, JSON.stringify(definition)],
    );
    this.cache.delete(workspaceId);
    if (rows.length === 0)
      throw new DomainError(
        'conflict',
        'profile.definition_exists',
        `computed trait "${definition.key}" already exists`,
        { key: definition.key },
      );
  }

  async remove(workspaceId: string, key: string): Promise<void> {
    // TypeORM answers a DELETE with [rows, affected row count].
    const [, deleted] = await this.postgres.query<[unknown[], number]>(
      `DELETE FROM profile.computed_trait_definitions WHERE workspace_id = $1 AND key = $2
       RETURNING key`,
      [workspaceId, key],
    );
    this.cache.delete(workspaceId);
    if (deleted === 0)
      throw new DomainError(
        'not_found',
        'profile.definition_not_found',
        `no computed trait "${key}"`,
      );
  }
}
