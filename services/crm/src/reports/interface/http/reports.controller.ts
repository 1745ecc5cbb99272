import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { z } from 'zod';
import { DomainError } from '@cdp/contracts';
import { CurrentTenant, RequireScopes, type TenantContext } from '@cdp/tenancy';
import { parse } from '../../../records/interface/http/http-input';
import { salesReport, type SalesReport } from '../../domain/sales-reports';
import { PostgresReportFacts } from '../../infrastructure/postgres-report-facts';

const instant = z
  .string()
  .refine(
    (s) => /^\d{4}-\d{2}-\d{2}/.test(s) && Number.isFinite(Date.parse(s)),
    'an ISO date or time',
  )
  .transform((s) => new Date(s).toISOString());
const reportQuery = z.object({
  from: instant.optional(),
  to: instant.optional(),
  period: z.enum(['day', 'week', 'month']).optional(),
  pipelineId: z.string().min(1).max(100).optional(),
  ownerId: z.string().min(1).max(100).optional(),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/)
    .transform((c) => c.toUpperCase())
    .optional(),
});

/** Default window: the last 90 days. */
const DEFAULT_DAYS = 90;

/**
 * Sales dynamics of the caller's workspace (formulas in sales-reports.ts and the README):
 * `/v1/crm/reports/sales` returns every figure; the other routes return one each. All take
 * from, to (window [from, to), default the last 90 days), period (revenue buckets), pipelineId,
 * ownerId and currency (amounts of different currencies are only summed when no currency is
 * given; pass one to get a single-currency figure).
 */
@ApiTags('crm')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing, invalid, revoked or expired API key' })
@ApiForbiddenResponse({ description: 'the key lacks crm:read' })
@ApiBadRequestResponse({ description: 'invalid window or filter' })
@Controller('v1/crm/reports')
export class ReportsController {
  constructor(private readonly facts: PostgresReportFacts) {}

  @Get('sales')
  @RequireScopes('crm:read')
  @ApiOkResponse({ description: 'every sales figure of the window' })
  sales(
    @CurrentTenant() t: TenantContext,
    @Query() q: Record<string, unknown>,
  ): Promise<SalesReport> {
    return this.compute(t, q);
  }

  @Get('pipeline-value')
  @RequireScopes('crm:read')
  @ApiOkResponse({
    description: '{ window, data: [{ pipelineId, stageId, count, value, weightedValue }] }',
  })
  async pipelineValue(@CurrentTenant() t: TenantContext, @Query() q: Record<string, unknown>) {
    const r = await this.compute(t, q);
    return { window: r.window, data: r.pipelineValueByStage };
  }

  @Get('forecast')
  @RequireScopes('crm:read')
  @ApiOkResponse({ description: '{ window, inPeriod, allOpen }: Σ amount × stage probability' })
  async forecast(@CurrentTenant() t: TenantContext, @Query() q: Record<string, unknown>) {
    const r = await this.compute(t, q);
    return { window: r.window, ...r.weightedForecast };
  }

  @Get('win-rate')
  @RequireScopes('crm:read')
  @ApiOkResponse({ description: '{ window, won, lost, rate }' })
  async winRate(@CurrentTenant() t: TenantContext, @Query() q: Record<string, unknown>) {
    const r = await this.compute(t, q);
    return { window: r.window, ...r.winRate };
  }

  @Get('sales-cycle')
  @RequireScopes('crm:read')
  @ApiOkResponse({ description: '{ window, averageDays }: won deals, createdAt → closedAt' })
  async salesCycle(@CurrentTenant() t: TenantContext, @Query() q: Record<string, unknown>) {
    const r = await this.compute(t, q);
    return { window: r.window, averageDays: r.averageSalesCycleDays };
  }

  @Get('stage-conversion')
  @RequireScopes('crm:read')
  @ApiOkResponse({
    description:
      '{ window, data: [{ pipelineId, fromStageId, toStageId, reachedFrom, reachedTo, rate }] }',
  })
  async stageConversion(@CurrentTenant() t: TenantContext, @Query() q: Record<string, unknown>) {
    const r = await this.compute(t, q);
    return { window: r.window, data: r.stageConversion };
  }

  @Get('sales-velocity')
  @RequireScopes('crm:read')
  @ApiOkResponse({ description: '{ window, openDeals, averageWonAmount, perDay }' })
  async salesVelocity(@CurrentTenant() t: TenantContext, @Query() q: Record<string, unknown>) {
    const r = await this.compute(t, q);
    return { window: r.window, ...r.salesVelocity };
  }

  @Get('revenue')
  @RequireScopes('crm:read')
  @ApiOkResponse({ description: '{ window, total, byPeriod, byOwner }: revenue of deals won' })
  async revenue(@CurrentTenant() t: TenantContext, @Query() q: Record<string, unknown>) {
    const r = await this.compute(t, q);
    return { window: r.window, ...r.revenueWon };
  }

  private async compute(
    tenant: TenantContext,
    query: Record<string, unknown>,
  ): Promise<SalesReport> {
    const input = parse(reportQuery, query, 'query');
    const to = input.to ?? new Date().toISOString();
    const from = input.from ?? new Date(Date.parse(to) - DEFAULT_DAYS * 86_400_000).toISOString();
    if (from >= to)
      throw new DomainError('invalid', 'crm.invalid_query', 'from must be before to', {
        field: 'from',
      });
    const { deals, pipelines } = await this.facts.load(tenant.workspaceId, {
      ...(input.pipelineId ? { pipelineId: input.pipelineId } : {}),
      ...(input.ownerId ? { ownerId: input.ownerId } : {}),
      ...(input.currency ? { currency: input.currency } : {}),
    });
    return salesReport(deals, pipelines, { from, to, period: input.period ?? 'month' });
  }
}
