import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SALES_STAGES, startCrm, type CrmHarness } from '../support/harness';

type View = Record<string, unknown> & { id: string };

describe('sales reports through the API (real Postgres)', () => {
  let crm: CrmHarness;
  let pipelineId: string;
  let ownerA: string;
  let ownerB: string;

  before(async () => {
    crm = await startCrm('crm-reports');
    pipelineId = (
      await crm.call<View>('POST', '/v1/crm/pipelines', { name: 'Sales', stages: SALES_STAGES })
    ).body.id;
    ownerA = (
      await crm.call<View>('POST', '/v1/crm/owners', { name: 'Anna', email: 'anna@crm.example' })
    ).body.id;
    ownerB = (
      await crm.call<View>('POST', '/v1/crm/owners', { name: 'Boris', email: 'boris@crm.example' })
    ).body.id;
    const deal = async (amount: number, ownerId: string, moves: [string, string?][]) => {
      const created = await crm.call<View>('POST', '/v1/crm/deals', {
        name: `D${amount}`,
        amount,
        currency: 'EUR',
        pipelineId,
        ownerId,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      for (const [stageId, closeReason] of moves) {
        const moved = await crm.call('POST', `/v1/crm/deals/${created.body.id}/stage`, {
          stageId,
          ...(closeReason ? { closeReason } : {}),
        });
        assert.equal(moved.status, 200, JSON.stringify(moved.body));
      }
    };
    await deal(1000, ownerA, [['proposal'], ['negotiation'], ['won', 'signed']]);
    await deal(3000, ownerB, [['proposal'], ['won', 'signed']]);
    await deal(500, ownerA, [['lost', 'no budget']]);
    await deal(2000, ownerA, [['proposal']]);
    await deal(4000, ownerB, [['negotiation']]);
    await deal(100, ownerB, []);
    // Another currency, filtered out by currency=EUR.
    await crm.call('POST', '/v1/crm/deals', {
      name: 'USD deal',
      amount: 7777,
      currency: 'USD',
      pipelineId,
    });
  });
  after(() => crm.close());

  test('the figures of freshly written deals (window = the last 90 days)', async () => {
    const response = await crm.call<Record<string, unknown>>(
      'GET',
      `/v1/crm/reports/sales?currency=EUR&pipelineId=${pipelineId}`,
    );
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const report = response.body as {
      pipelineValueByStage: {
        stageId: string;
        count: number;
        value: number;
        weightedValue: number;
      }[];
      weightedForecast: { allOpen: number };
      winRate: { won: number; lost: number; rate: number };
      stageConversion: { fromStageId: string; reachedFrom: number; reachedTo: number }[];
      revenueWon: { total: number; byOwner: { ownerId: string; amount: number }[] };
      salesVelocity: { openDeals: number; averageWonAmount: number };
    };
    // Open: 100 in qualify, 2000 in proposal, 4000 in negotiation.
    assert.deepEqual(
      report.pipelineValueByStage.map((s) => [s.stageId, s.count, s.value, s.weightedValue]),
      [
        ['qualify', 1, 100, 10],
        ['proposal', 1, 2000, 1000],
        ['negotiation', 1, 4000, 3200],
      ],
    );
    assert.equal(report.weightedForecast.allOpen, 4210); // 10 + 1000 + 3200
    assert.deepEqual(report.winRate, { won: 2, lost: 1, rate: 0.6667 });
    // Reached: qualify 6, proposal 4 (1000, 3000, 2000, 4000 skipped it), negotiation 3, won 2.
    assert.deepEqual(
      report.stageConversion.map((c) => [c.fromStageId, c.reachedFrom, c.reachedTo]),
      [
        ['qualify', 6, 4],
        ['proposal', 4, 3],
        ['negotiation', 3, 2],
      ],
    );
    assert.equal(report.revenueWon.total, 4000);
    assert.deepEqual(report.revenueWon.byOwner, [
      { ownerId: ownerB, amount: 3000, deals: 1 },
      { ownerId: ownerA, amount: 1000, deals: 1 },
    ]);
    assert.deepEqual(report.salesVelocity.openDeals, 3);
    assert.equal(report.salesVelocity.averageWonAmount, 2000);

    const byOwner = await crm.call<{ total: number }>(
      'GET',
      `/v1/crm/reports/revenue?ownerId=${ownerA}&currency=EUR`,
    );
    assert.equal(byOwner.body.total, 1000);
    const allCurrencies = await crm.call<{ allOpen: number }>('GET', '/v1/crm/reports/forecast');
    assert.equal(allCurrencies.body.allOpen, 4210 + 777.7); // + 7777 × 10 % in qualify
    const past = await crm.call<{ won: number; rate: null }>(
      'GET',
      '/v1/crm/reports/win-rate?from=2020-01-01&to=2020-02-01',
    );
    assert.deepEqual([past.body.won, past.body.rate], [0, null]);
    const bad = await crm.call<{ error: { code: string } }>(
      'GET',
      '/v1/crm/reports/sales?from=2026-02-01&to=2026-01-01',
    );
    assert.equal(bad.status, 400);
    const badPeriod = await crm.call('GET', '/v1/crm/reports/revenue?period=year');
    assert.equal(badPeriod.status, 400);
  });
});
