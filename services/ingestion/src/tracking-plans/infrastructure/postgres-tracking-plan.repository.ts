import { type DataSource } from 'typeorm';
import { isWorkspaceId } from '@cdp/tenancy';
import {
  isTrackingPlanId,
  type PlanMode,
  type TrackingPlan,
  type TrackingPlanRules,
} from '../domain/tracking-plan';
import { type TrackingPlanPatch, type TrackingPlanRepository } from '../application/ports';

interface PlanRow {
  id: string;
  workspace_id: string;
  name: string;
  mode: PlanMode;
  rules: TrackingPlanRules;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, workspace_id, name, mode, rules, version, created_at, updated_at`;

function toPlan(row: PlanRow): TrackingPlan {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    mode: row.mode,
    rules: row.rules,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Tracking plans in Postgres (raw SQL, every query filtered by workspace). */
export class PostgresTrackingPlanRepository implements TrackingPlanRepository {
  constructor(private readonly db: DataSource) {}

  async insert(plan: TrackingPlan): Promise<void> {
    await this.db.query(
      `INSERT INTO ingestion.tracking_plans (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        plan.id,
        plan.workspaceId,
        plan.name,
        plan.mode,
        JSON.stringify(plan.rules),
        plan.version,
        plan.createdAt,
        plan.updatedAt,
      ],
    );
  }

  async find(workspaceId: string, planId: string): Promise<TrackingPlan | undefined> {
    if (!isWorkspaceId(workspaceId) || !isTrackingPlanId(planId)) return undefined;
    const rows: PlanRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM ingestion.tracking_plans WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, planId],
    );
    return rows[0] === undefined ? undefined : toPlan(rows[0]);
  }

  async list(workspaceId: string): Promise<TrackingPlan[]> {
    if (!isWorkspaceId(workspaceId)) return [];
    const rows: PlanRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM ingestion.tracking_plans WHERE workspace_id = $1 ORDER BY created_at, id`,
      [workspaceId],
    );
    return rows.map(toPlan);
  }

  async update(
    workspaceId: string,
    planId: string,
    patch: TrackingPlanPatch,
    at: Date,
  ): Promise<TrackingPlan | undefined> {
    if (!isWorkspaceId(workspaceId) || !isTrackingPlanId(planId)) return undefined;
    const sets = ['updated_at = $3', 'version = version + 1'];
    const params: unknown[] = [workspaceId, planId, at];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.mode !== undefined) set('mode', patch.mode);
    if (patch.rules !== undefined) set('rules', JSON.stringify(patch.rules));
    const [rows] = await this.db.query<[PlanRow[], number]>(
      `UPDATE ingestion.tracking_plans SET ${sets.join(', ')}
        WHERE workspace_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      params,
    );
    return rows[0] === undefined ? undefined : toPlan(rows[0]);
  }

  async delete(workspaceId: string, planId: string): Promise<boolean> {
    if (!isWorkspaceId(workspaceId) || !isTrackingPlanId(planId)) return false;
    const [rows] = await this.db.query<[unknown[], number]>(
      `DELETE FROM ingestion.tracking_plans WHERE workspace_id = $1 AND id = $2 RETURNING id`,
      [workspaceId, planId],
    );
    return rows.length > 0;
  }

  async findForSource(workspaceId: string, sourceId: string): Promise<TrackingPlan | null> {
    if (!isWorkspaceId(workspaceId)) return null;
    const rows: PlanRow[] = await this.db.query(
      `SELECT p.id, p.workspace_id, p.name, p.mode, p.rules, p.version, p.created_at, p.updated_at
         FROM ingestion.sources s
         JOIN ingestion.tracking_plans p ON p.id = s.tracking_plan_id AND p.workspace_id = s.workspace_id
        WHERE s.workspace_id = $1 AND s.id = $2`,
      [workspaceId, sourceId],
    );
    return rows[0] === undefined ? null : toPlan(rows[0]);
  }
}
