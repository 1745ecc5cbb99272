import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normaliseStages } from '../../records/domain/field-values';
import { periodOf, salesReport, type DealFact, type PipelineFact } from './sales-reports';

const pipeline: PipelineFact = {
  id: 'pipe_1',
  name: 'Sales',
  stages: normaliseStages('stages', [
    { id: 'qualify', name: 'Qualify', probability: 10 },
    { id: 'proposal', name: 'Proposal', probability: 50 },
    { id: 'negotiation', name: 'Negotiation', probability: 80 },
    { id: 'won', name: 'Won', kind: 'won' },
    { id: 'lost', name: 'Lost', kind: 'lost' },
  ]),
};

function deal(
  fact: Partial<DealFact> & Pick<DealFact, 'id' | 'stageId' | 'stageKind' | 'amount' | 'createdAt'>,
): DealFact {
  return {
    pipelineId: 'pipe_1',
    ownerId: null,
    closedAt: null,
    expectedCloseDate: null,
    enteredStageIds: [],
    ...fact,
  };
}

/** The hand-computed fixture: seven deals, window [2026-01-01, 2026-04-01). */
const deals: DealFact[] = [
  // won after 30 days (Jan 5 → Feb 4), through every stage
  deal({
    id: 'd1',
    stageId: 'won',
    stageKind: 'won',
    amount: 1000,
    ownerId: 'own_a',
    createdAt: '2026-01-05T00:00:00.000Z',
    closedAt: '2026-02-04T00:00:00.000Z',
    enteredStageIds: ['qualify', 'proposal', 'negotiation', 'won'],
  }),
  // won after 50 days (Jan 10 → Mar 1: 21 + 28 + 1), skipping negotiation
  deal({
    id: 'd2',
    stageId: 'won',
    stageKind: 'won',
    amount: 3000,
    ownerId: 'own_b',
    createdAt: '2026-01-10T00:00:00.000Z',
    closedAt: '2026-03-01T00:00:00.000Z',
    enteredStageIds: ['qualify', 'proposal', 'won'],
  }),
  // lost from qualify
  deal({
    id: 'd3',
    stageId: 'lost',
    stageKind: 'lost',
    amount: 500,
    ownerId: 'own_a',
    createdAt: '2026-02-01T00:00:00.000Z',
    closedAt: '2026-02-11T00:00:00.000Z',
    enteredStageIds: ['qualify', 'lost'],
  }),
  // open in proposal, expected to close inside the window
  deal({
    id: 'd4',
    stageId: 'proposal',
    stageKind: 'open',
    amount: 2000,
    ownerId: 'own_a',
    createdAt: '2026-02-15T00:00:00.000Z',
    expectedCloseDate: '2026-03-20',
    enteredStageIds: ['qualify', 'proposal'],
  }),
  // open in negotiation (skipped proposal), expected after the window
  deal({
    id: 'd5',
    stageId: 'negotiation',
    stageKind: 'open',
    amount: 4000,
    ownerId: 'own_b',
    createdAt: '2026-03-01T00:00:00.000Z',
    expectedCloseDate: '2026-05-01',
    enteredStageIds: ['qualify', 'negotiation'],
  }),
  // created and won BEFORE the window: in no windowed figure
  deal({
    id: 'd6',
    stageId: 'won',
    stageKind: 'won',
    amount: 9999,
    ownerId: 'own_a',
    createdAt: '2025-12-01T00:00:00.000Z',
    closedAt: '2025-12-20T00:00:00.000Z',
    enteredStageIds: ['qualify', 'won'],
  }),
  // open in qualify, no expected close date, no owner
  deal({
    id: 'd7',
    stageId: 'qualify',
    stageKind: 'open',
    amount: 100,
    createdAt: '2026-01-20T00:00:00.000Z',
    enteredStageIds: ['qualify'],
  }),
];

describe('sales reports on a hand-computed fixture', () => {
  const report = salesReport(deals, [pipeline], {
    from: '2026-01-01T00:00:00.000Z',
    to: '2026-04-01T00:00:00.000Z',
    period: 'month',
  });

  test('pipeline value by stage and weighted forecast', () => {
    // Open deals: d7 in qualify (100), d4 in proposal (2000), d5 in negotiation (4000).
    assert.deepEqual(
      report.pipelineValueByStage.map((s) => [s.stageId, s.count, s.value, s.weightedValue]),
      [
        ['qualify', 1, 100, 10], //       100 × 10 % = 10
        ['proposal', 1, 2000, 1000], //  2000 × 50 % = 1000
        ['negotiation', 1, 4000, 3200], // 4000 × 80 % = 3200
      ],
    );
    // allOpen = 10 + 1000 + 3200; inPeriod = only d4 (expected 2026-03-20) = 1000.
    assert.deepEqual(report.weightedForecast, { inPeriod: 1000, allOpen: 4210 });
  });

  test('win rate and average sales cycle', () => {
    // Closed in the window: d1 won, d2 won, d3 lost (d6 closed in 2025): 2 / (2 + 1).
    assert.deepEqual(report.winRate, { won: 2, lost: 1, rate: 0.6667 });
    // Won deals: d1 30 days, d2 50 days → (30 + 50) / 2.
    assert.equal(report.averageSalesCycleDays, 40);
  });

  test('stage conversion counts a skipped stage as passed', () => {
    // Cohort created in the window: d1 d2 d3 d4 d5 d7. Furthest rung (qualify 0, proposal 1,
    // negotiation 2, won 3): d1 3, d2 3, d3 0, d4 1, d5 2, d7 0.
    // reached ≥0: 6, ≥1: 4 (d1 d2 d4 d5), ≥2: 3 (d1 d2 d5), ≥3: 2 (d1 d2).
    assert.deepEqual(
      report.stageConversion.map((c) => [
        c.fromStageId,
        c.toStageId,
        c.reachedFrom,
        c.reachedTo,
        c.rate,
      ]),
      [
        ['qualify', 'proposal', 6, 4, 0.6667], // 4 / 6
        ['proposal', 'negotiation', 4, 3, 0.75], // 3 / 4
        ['negotiation', 'won', 3, 2, 0.6667], // 2 / 3
      ],
    );
  });

  test('sales velocity and revenue won per period and per owner', () => {
    // 3 open deals × 2000 average won amount ((1000 + 3000) / 2) × 2/3 win rate / 40 days = 100.
    assert.deepEqual(report.salesVelocity, { openDeals: 3, averageWonAmount: 2000, perDay: 100 });
    assert.equal(report.revenueWon.total, 4000); // d1 + d2 (d6 is outside)
    assert.deepEqual(report.revenueWon.byPeriod, [
      { period: '2026-02', amount: 1000, deals: 1 }, // d1 closed Feb 4
      { period: '2026-03', amount: 3000, deals: 1 }, // d2 closed Mar 1
    ]);
    assert.deepEqual(report.revenueWon.byOwner, [
      { ownerId: 'own_b', amount: 3000, deals: 1 },
      { ownerId: 'own_a', amount: 1000, deals: 1 },
    ]);
  });

  test('an empty window has no rates rather than divisions by zero', () => {
    const empty = salesReport(deals, [pipeline], {
      from: '2030-01-01T00:00:00.000Z',
      to: '2030-02-01T00:00:00.000Z',
      period: 'week',
    });
    assert.deepEqual(empty.winRate, { won: 0, lost: 0, rate: null });
    assert.equal(empty.averageSalesCycleDays, null);
    assert.equal(empty.salesVelocity.perDay, null);
    assert.ok(empty.stageConversion.every((c) => c.rate === null));
  });

  test('period buckets: UTC day, ISO week (Monday start), month', () => {
    assert.equal(periodOf('2026-02-04T23:30:00.000Z', 'day'), '2026-02-04');
    assert.equal(periodOf('2026-02-04T00:00:00.000Z', 'week'), '2026-W06'); // week 1 = Dec 29 – Jan 4
    assert.equal(periodOf('2026-03-01T00:00:00.000Z', 'week'), '2026-W09'); // a Sunday: week of Feb 23
    assert.equal(periodOf('2027-01-01T00:00:00.000Z', 'week'), '2026-W53'); // a Friday of 2026's last week
    assert.equal(periodOf('2026-03-01T00:00:00.000Z', 'month'), '2026-03');
  });
});
