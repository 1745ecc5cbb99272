import type { DataSource } from 'typeorm';
import { type DecisionInputs } from '../application/record-store.port';
import { type CustomFieldDefinition } from '../domain/custom-fields';
import { type Stage } from '../domain/field-values';
import { type AggregateType, type CustomizableType } from '../domain/record-types';
import { tableOf } from './read-model-schema';

interface DefinitionRow {
  object_type: CustomizableType;
  key: string;
  label: string;
  type: CustomFieldDefinition['type'];
  options: string[];
  currency: string | null;
  required: boolean;
}

/** Definitions are read on every command: cached briefly per workspace (see invalidate). */
const DEFINITIONS_TTL_MS = 5_000;

/** Reads what decisions need from the read models (consistent: projected in the append's tx). */
export class PostgresDecisionInputs implements DecisionInputs {
  private readonly definitions = new Map<
    string,
    { at: number; value: Promise<readonly CustomFieldDefinition[]> }
  >();

  constructor(private readonly postgres: DataSource) {}

  customFields(workspaceId: string): Promise<readonly CustomFieldDefinition[]> {
    const cached = this.definitions.get(workspaceId);
    if (cached && Date.now() - cached.at < DEFINITIONS_TTL_MS) return cached.value;
    const value = this.loadDefinitions(workspaceId);
    this.definitions.set(workspaceId, { at: Date.now(), value });
    value.catch(() => this.definitions.delete(workspaceId));
    return value;
  }

  /** Called when this process changed a workspace's definitions (other pods wait for the TTL). */
  invalidate(workspaceId: string): void {
    this.definitions.delete(workspaceId);
  }

  async loadDefinitions(workspaceId: string): Promise<readonly CustomFieldDefinition[]> {
    const rows = await this.postgres.query<DefinitionRow[]>(
      `SELECT object_type, key, label, type, options, currency, required
       FROM crm.custom_fields WHERE workspace_id = $1 ORDER BY object_type, key`,
      [workspaceId],
    );
    return rows.map((r) => ({
      objectType: r.object_type,
      key: r.key,
      label: r.label,
      type: r.type,
      options: r.options,
      currency: r.currency,
      required: r.required,
    }));
  }

  async pipeline(
    workspaceId: string,
    id: string,
  ): Promise<{ id: string; stages: readonly Stage[] } | undefined> {
    const rows = await this.postgres.query<{ id: string; stages: Stage[] }[]>(
      `SELECT id, stages FROM crm.pipelines
       WHERE workspace_id = $1 AND id = $2 AND NOT archived`,
      [workspaceId, id],
    );
    return rows[0];
  }

  async dealsInStages(
    workspaceId: string,
    pipelineId: string,
    stageIds: readonly string[],
  ): Promise<number> {
    const rows = await this.postgres.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM crm.deals
       WHERE workspace_id = $1 AND pipeline_id = $2 AND stage_id = ANY($3::text[]) AND NOT archived`,
      [workspaceId, pipelineId, stageIds],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async existing(
    workspaceId: string,
    type: AggregateType,
    ids: readonly string[],
  ): Promise<Set<string>> {
    const rows = await this.postgres.query<{ id: string }[]>(
      `SELECT id FROM ${tableOf(type)} WHERE workspace_id = $1 AND id = ANY($2::text[])`,
      [workspaceId, ids],
    );
    return new Set(rows.map((r) => r.id));
  }
}
