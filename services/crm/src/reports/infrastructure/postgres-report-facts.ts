import type { DataSource } from 'typeorm';
import { type Stage } from '../../records/domain/field-values';
import { type DealFact, type PipelineFact } from '../domain/sales-reports';

export interface FactFilters {
  readonly pipelineId?: string;
  readonly ownerId?: string;
  readonly currency?: string;
}

interface DealRow {
  id: string;
  pipeline_id: string;
  stage_id: string;
  stage_kind: DealFact['stageKind'];
  amount: number | null;
  owner_id: string | null;
  created_at: string;
  closed_at: string | null;
  expected_close_date: string | null;
  entered: string[] | null;
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Loads the deal facts the reports compute from (live, non-archived deals). */
export class PostgresReportFacts {
  constructor(private readonly postgres: DataSource) {}

  async load(
    workspaceId: string,
    filters: FactFilters,
  ): Promise<{ deals: DealFact[]; pipelines: PipelineFact[] }> {
    const params: unknown[] = [workspaceId];
    const where = ['d.workspace_id = $1', 'NOT d.archived'];
    if (filters.pipelineId) where.push(`d.pipeline_id = $${params.push(filters.pipelineId)}`);
    if (filters.ownerId) where.push(`d.owner_id = $${params.push(filters.ownerId)}`);
    if (filters.currency) where.push(`d.currency = $${params.push(filters.currency)}`);
    const rows = await this.postgres.query<DealRow[]>(
      `SELECT d.id, d.pipeline_id, d.stage_id, d.stage_kind, d.amount::float8 AS amount, d.owner_id,
              to_char(d.created_at AT TIME ZONE 'UTC', ${ISO}) AS created_at,
              to_char(d.closed_at AT TIME ZONE 'UTC', ${ISO}) AS closed_at,
              to_char(d.expected_close_date, 'YYYY-MM-DD') AS expected_close_date,
              (SELECT array_agg(h.to_stage_id ORDER BY h.version) FROM crm.deal_stage_history h
               WHERE h.workspace_id = d.workspace_id AND h.deal_id = d.id) AS entered
       FROM crm.deals d WHERE ${where.join(' AND ')}`,
      params,
    );
    const pipelineParams: unknown[] = [workspaceId];
    const pipelineWhere = ['workspace_id = $1', 'NOT archived'];
    if (filters.pipelineId) pipelineWhere.push(`id = $${pipelineParams.push(filters.pipelineId)}`);
    const pipelines = await this.postgres.query<{ id: string; name: string; stages: Stage[] }[]>(
      `SELECT id, name, stages FROM crm.pipelines WHERE ${pipelineWhere.join(' AND ')} ORDER BY created_at, id`,
      pipelineParams,
    );
    return {
      deals: rows.map((r) => ({
        id: r.id,
        pipelineId: r.pipeline_id,
        stageId: r.stage_id,
        stageKind: r.stage_kind,
        amount: r.amount ?? 0,
        ownerId: r.owner_id,
        createdAt: r.created_at,
        closedAt: r.closed_at,
        expectedCloseDate: r.expected_close_date,
        enteredStageIds: r.entered ?? [],
      })),
      pipelines,
    };
  }
}
