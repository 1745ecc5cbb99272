import { type Stage } from '../../records/domain/field-values';
import { type StageKind } from '../../records/domain/record-types';

/**
 * Sales dynamics computed from deal facts (pure: the repository loads the facts, this computes).
 * Every figure is time-bounded by [from, to) and filtered by what the facts were loaded with
 * (pipeline, owner, currency). Formulas (also in the README):
 *
 * - pipeline value by stage: open deals per stage: count, Σ amount, Σ amount × probability / 100;
 * - weighted forecast: Σ amount × probability / 100 of open deals whose expectedCloseDate falls in
 *   [from, to) (`inPeriod`), and of all open deals (`allOpen`);
 * - win rate: won / (won + lost) among deals closed in [from, to);
 * - average sales cycle: mean of (closedAt − createdAt) in days over deals WON in [from, to);
 * - stage conversion: among deals created in [from, to), reached(next) / reached(stage) for each
 *   pair of consecutive stages (open stages in order, then won); a deal reached a stage when it
 *   entered it or any later one (skipping a stage still passes it);
 * - sales velocity (value per day): open deals × average won amount × win rate / average cycle;
 * - revenue won: Σ amount of deals won in [from, to), per period bucket (UTC day, ISO week
 *   starting Monday, or month, by closedAt) and per owner.
 */

export interface DealFact {
  readonly id: string;
  readonly pipelineId: string;
  readonly stageId: string;
  readonly stageKind: StageKind;
  readonly amount: number;
  readonly ownerId: string | null;
  readonly createdAt: string;
  readonly closedAt: string | null;
  readonly expectedCloseDate: string | null;
  /** Every stage the deal entered (from the stage history), in order. */
  readonly enteredStageIds: readonly string[];
}

export interface PipelineFact {
  readonly id: string;
  readonly name: string;
  readonly stages: readonly Stage[];
}

export type PeriodUnit = 'day' | 'week' | 'month';

export interface ReportWindow {
  readonly from: string;
  readonly to: string;
  readonly period: PeriodUnit;
}

export interface StageValue {
  readonly pipelineId: string;
  readonly stageId: string;
  readonly stageName: string;
  readonly probability: number;
  readonly count: number;
  readonly value: number;
  readonly weightedValue: number;
}

export interface StageConversion {
  readonly pipelineId: string;
  readonly fromStageId: string;
  readonly toStageId: string;
  readonly reachedFrom: number;
  readonly reachedTo: number;
  /** reachedTo / reachedFrom; null when no deal reached the first stage. */
  readonly rate: number | null;
}

export interface SalesReport {
  readonly window: ReportWindow;
  readonly pipelineValueByStage: readonly StageValue[];
  readonly weightedForecast: { readonly inPeriod: number; readonly allOpen: number };
  readonly winRate: { readonly won: number; readonly lost: number; readonly rate: number | null };
  readonly averageSalesCycleDays: number | null;
  readonly stageConversion: readonly StageConversion[];
  readonly salesVelocity: {
    readonly openDeals: number;
    readonly averageWonAmount: number | null;
    readonly perDay: number | null;
  };
  readonly revenueWon: {
    readonly total: number;
    readonly byPeriod: readonly {
      readonly period: string;
      readonly amount: number;
      readonly deals: number;
    }[];
    readonly byOwner: readonly {
      readonly ownerId: string | null;
      readonly amount: number;
      readonly deals: number;
    }[];
  };
}

const DAY_MS = 86_400_000;

function money(value: number): number {
  return Math.round(value * 100) / 100;
}

function ratio(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function within(instant: string | null, window: ReportWindow): boolean {
  return instant !== null && instant >= window.from && instant < window.to;
}

/** Bucket label of an instant: `2026-03-14`, `2026-W11` (ISO week), `2026-03`. */
export function periodOf(instant: string, unit: PeriodUnit): string {
  const date = new Date(instant);
  if (unit === 'day') return date.toISOString().slice(0, 10);
  if (unit === 'month') return date.toISOString().slice(0, 7);
  // ISO week: the week with the year's first Thursday is week 1.
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / DAY_MS + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function salesReport(
  deals: readonly DealFact[],
  pipelines: readonly PipelineFact[],
  window: ReportWindow,
): SalesReport {
  const stagesOf = new Map(pipelines.map((p) => [p.id, p]));
  const open = deals.filter((d) => d.stageKind === 'open');
  const probability = (deal: DealFact): number =>
    stagesOf.get(deal.pipelineId)?.stages.find((s) => s.id === deal.stageId)?.probability ?? 0;

  const pipelineValueByStage: StageValue[] = [];
  for (const pipeline of pipelines)
    for (const stage of pipeline.stages.filter((s) => s.kind === 'open')) {
      const here = open.filter((d) => d.pipelineId === pipeline.id && d.stageId === stage.id);
      const value = here.reduce((sum, d) => sum + d.amount, 0);
      pipelineValueByStage.push({
        pipelineId: pipeline.id,
        stageId: stage.id,
        stageName: stage.name,
        probability: stage.probability,
        count: here.length,
        value: money(value),
        weightedValue: money((value * stage.probability) / 100),
      });
    }

  const weighted = (list: readonly DealFact[]): number =>
    money(list.reduce((sum, d) => sum + (d.amount * probability(d)) / 100, 0));
  const weightedForecast = {
    inPeriod: weighted(
      open.filter(
        (d) =>
          d.expectedCloseDate !== null && within(`${d.expectedCloseDate}T00:00:00.000Z`, window),
      ),
    ),
    allOpen: weighted(open),
  };

  const closed = deals.filter((d) => d.stageKind !== 'open' && within(d.closedAt, window));
  const won = closed.filter((d) => d.stageKind === 'won');
  const lost = closed.filter((d) => d.stageKind === 'lost');
  const rate = won.length + lost.length === 0 ? null : won.length / (won.length + lost.length);

  const cycles = won.map(
    (d) => (Date.parse(d.closedAt ?? d.createdAt) - Date.parse(d.createdAt)) / DAY_MS,
  );
  const averageSalesCycleDays =
    cycles.length === 0 ? null : cycles.reduce((a, b) => a + b, 0) / cycles.length;

  const stageConversion: StageConversion[] = [];
  const cohort = deals.filter((d) => within(d.createdAt, window));
  for (const pipeline of pipelines) {
    const ladder = [
      ...pipeline.stages.filter((s) => s.kind === 'open'),
      ...pipeline.stages.filter((s) => s.kind === 'won'),
    ];
    const position = new Map<string, number>();
    ladder.forEach((s, i) => position.set(s.id, s.kind === 'won' ? ladder.length - 1 : i));
    // How far up the ladder each deal of the cohort got.
    const furthest = cohort
      .filter((d) => d.pipelineId === pipeline.id)
      .map((d) => Math.max(-1, ...d.enteredStageIds.map((id) => position.get(id) ?? -1)));
    const openCount = pipeline.stages.filter((s) => s.kind === 'open').length;
    for (let i = 0; i + 1 < ladder.length && i < openCount; i++) {
      const from = ladder[i];
      const to = ladder[i + 1];
      if (!from || !to) continue;
      const reachedFrom = furthest.filter((p) => p >= i).length;
      const reachedTo = furthest.filter((p) => p >= i + 1).length;
      stageConversion.push({
        pipelineId: pipeline.id,
        fromStageId: from.id,
        toStageId: to.id,
        reachedFrom,
        reachedTo,
        rate: reachedFrom === 0 ? null : ratio(reachedTo / reachedFrom),
      });
    }
  }

  const wonTotal = won.reduce((sum, d) => sum + d.amount, 0);
  const averageWonAmount = won.length === 0 ? null : wonTotal / won.length;
  const perDay =
    averageWonAmount === null ||
    rate === null ||
    averageSalesCycleDays === null ||
    averageSalesCycleDays === 0
      ? null
      : money((open.length * averageWonAmount * rate) / averageSalesCycleDays);

  const byPeriod = new Map<string, { amount: number; deals: number }>();
  const byOwner = new Map<string | null, { amount: number; deals: number }>();
  for (const deal of won) {
    const period = periodOf(deal.closedAt ?? deal.createdAt, window.period);
    const p = byPeriod.get(period) ?? { amount: 0, deals: 0 };
    byPeriod.set(period, { amount: p.amount + deal.amount, deals: p.deals + 1 });
    const o = byOwner.get(deal.ownerId) ?? { amount: 0, deals: 0 };
    byOwner.set(deal.ownerId, { amount: o.amount + deal.amount, deals: o.deals + 1 });
  }

  return {
    window,
    pipelineValueByStage,
    weightedForecast,
    winRate: { won: won.length, lost: lost.length, rate: rate === null ? null : ratio(rate) },
    averageSalesCycleDays: averageSalesCycleDays === null ? null : ratio(averageSalesCycleDays),
    stageConversion,
    salesVelocity: {
      openDeals: open.length,
      averageWonAmount: averageWonAmount === null ? null : money(averageWonAmount),
      perDay,
    },
    revenueWon: {
      total: money(wonTotal),
      byPeriod: [...byPeriod.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([period, v]) => ({ period, amount: money(v.amount), deals: v.deals })),
      byOwner: [...byOwner.entries()]
        .sort((a, b) => b[1].amount - a[1].amount || String(a[0]).localeCompare(String(b[0])))
        .map(([ownerId, v]) => ({ ownerId, amount: money(v.amount), deals: v.deals })),
    },
  };
}
