import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCrm, type CrmHarness } from '../support/harness';

type View = Record<string, unknown> & { id: string; version: number };
interface Report {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: { line: number; code: string; field?: string }[];
  ignoredColumns: string[];
}

describe('CSV import and batch upsert (real Postgres and NATS)', () => {
  let crm: CrmHarness;

  before(async () => {
    crm = await startCrm('crm-imports');
  });
  after(() => crm.close());

  async function postCsv(path: string, csv: string): Promise<{ status: number; body: Report }> {
    const response = await crm.api(path, {
      method: 'POST',
      body: csv,
      headers: { 'content-type': 'text/csv' },
    });
    return { status: response.status, body: (await response.json()) as Report };
  }

  test('contacts: dedup by email (in the workspace and in the file), rejected rows with their line', async () => {
    const existing = await crm.call<View>('POST', '/v1/crm/contacts', {
      email: 'old@buyers.example',
      firstName: 'Old',
    });
    assert.equal(existing.status, 201);
    const csv = [
      'Email,First Name,Last Name,Phone,Lifecycle Stage,Shoe Size', // line 1
      'ivanov@buyers.example,Ivan,Ivanov,+7 912 555 0101,lead,44', // 2: created
      'OLD@buyers.example,Olga,,,customer,', // 3: updates the existing contact
      'not-an-email,Bad,Row,,,', // 4: rejected (email)
      '"petrov@buyers.example","Pyotr ""Petya""","Petrov',
      'the Great",,lead,', // 5–6: one row over two lines, created
      'ivanov@buyers.example,,,,customer,', // 7: same email as line 2: updates it
      'x@buyers.example,X,,,emperor,', // 8: rejected (lifecycle stage)
      ',No,Email,,,', // 9: created (nothing to dedup on)
    ].join('\n');
    const first = await postCsv('/v1/crm/contacts/import', csv);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.rows, 7); // lines 5–6 are one row
    assert.equal(first.body.created, 3); // lines 2, 5, 9
    assert.equal(first.body.updated, 2); // line 3 (existing contact), line 7 (line 2's contact)
    assert.deepEqual(
      first.body.rejected.map((r) => [r.line, r.code, r.field]),
      [
        [4, 'crm.invalid_field', 'email'],
        [8, 'crm.invalid_field', 'lifecycleStage'],
      ],
    );
    assert.deepEqual(first.body.ignoredColumns, ['Shoe Size']);

    const ivanov = await crm.call<{ data: View[] }>(
      'GET',
      '/v1/crm/contacts?filter.email=ivanov@buyers.example',
    );
    assert.equal(ivanov.body.data.length, 1, 'one contact per email');
    assert.equal(ivanov.body.data[0]?.lifecycleStage, 'customer');
    assert.equal(ivanov.body.data[0]?.phone, '+79125550101');
    const old = await crm.call<View>('GET', `/v1/crm/contacts/${existing.body.id}`);
    assert.equal(old.body.firstName, 'Olga');
    const petrov = await crm.call<{ data: View[] }>('GET', '/v1/crm/contacts?q=petrov');
    assert.equal(petrov.body.data[0]?.lastName, 'Petrov\nthe Great');
    assert.equal(petrov.body.data[0]?.firstName, 'Pyotr "Petya"');

    // The same file again: every valid row is unchanged except the in-file duplicate
    // (line 2 sets lead, line 7 customer again), and the email-less row is created again.
    const again = await postCsv('/v1/crm/contacts/import', csv);
    assert.equal(again.body.created, 1);
    assert.equal(again.body.updated, 2); // lines 2 and 7 flip the lifecycle stage back and forth
    assert.equal(again.body.unchanged, 2); // lines 3 and 5
    assert.equal(again.body.rejected.length, 2);
    const history = await crm.call<{
      data: { actor: { via: { channel: string } }; origin: string }[];
    }>('GET', `/v1/crm/contacts/${existing.body.id}/history`);
    assert.equal(history.body.data[1]?.origin, 'import');
    assert.equal(history.body.data[1]?.actor.via.channel, 'import');
  });

  test('companies: dedup by normalised domain; JSON { csv } works too; a broken file is a 400', async () => {
    const csv =
      'name,website,employees\nAcme,https://www.acme.example/about,120\nAcme Corp,ACME.example,abc\nAcme Inc,acme.example,130\n';
    const response = await crm.call<Report>('POST', '/v1/crm/companies/import', { csv });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.created, 1);
    assert.equal(response.body.updated, 1);
    assert.deepEqual(
      response.body.rejected.map((r) => r.line),
      [3],
    );
    const acme = await crm.call<{ data: View[] }>(
      'GET',
      '/v1/crm/companies?filter.domain=acme.example',
    );
    assert.equal(acme.body.data.length, 1);
    assert.equal(acme.body.data[0]?.name, 'Acme Inc');
    assert.equal(acme.body.data[0]?.employees, 130);

    const broken = await crm.call<{ error: { code: string; details: { line: number } } }>(
      'POST',
      '/v1/crm/companies/import',
      {
        csv: 'name\n"unclosed\n',
      },
    );
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, 'import.invalid_csv');
    assert.equal(broken.body.error.details.line, 2);
    const noColumn = await crm.call<{ error: { code: string } }>(
      'POST',
      '/v1/crm/companies/import',
      { csv: 'foo,bar\n1,2\n' },
    );
    assert.equal(noColumn.body.error.code, 'import.no_known_columns');
    const nothing = await crm.call<{ error: { code: string } }>(
      'POST',
      '/v1/crm/companies/import',
      {},
    );
    assert.equal(nothing.body.error.code, 'import.no_csv');
  });

  test('batch upsert by external id: created, updated, unchanged, rejected per item', async () => {
    const items = [
      { externalId: 'erp-1', name: 'Volga Motors', industry: 'Cars' },
      { externalId: 'erp-2', name: 'Kama Trucks' },
      { name: 'no external id' },
      { externalId: 'erp-3', name: 'Bad', employees: -5 },
    ];
    const first = await crm.call<{
      data: { index: number; outcome: string; id?: string; error?: { code: string } }[];
    }>('POST', '/v1/crm/companies/batch', { items });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(
      first.body.data.map((r) => r.outcome),
      ['created', 'created', 'rejected', 'rejected'],
    );
    const second = await crm.call<{ data: { outcome: string; id?: string }[] }>(
      'POST',
      '/v1/crm/companies/batch',
      {
        items: [
          { externalId: 'erp-1', name: 'Volga Motors', industry: 'Trucks' },
          { externalId: 'erp-2', name: 'Kama Trucks' },
        ],
      },
    );
    assert.deepEqual(
      second.body.data.map((r) => r.outcome),
      ['updated', 'unchanged'],
    );
    assert.equal(second.body.data[0]?.id, first.body.data[0]?.id);
    const updates = await crm.eventually(() => {
      const mine = crm.published.filter((m) => m.body.aggregateId === first.body.data[0]?.id);
      return mine.length >= 2 ? mine : undefined;
    });
    assert.equal((updates[1]?.body.payload as { origin: string }).origin, 'import');
    // Deals: re-sending the whole record is fine; a changed stage moves the deal by command.
    const pipeline = await crm.call<View>('POST', '/v1/crm/pipelines', {
      name: 'Imported',
      stages: [{ name: 'Open' }, { name: 'Won', kind: 'won' }, { name: 'Lost', kind: 'lost' }],
    });
    const deal = {
      externalId: 'erp-deal-1',
      name: 'Fleet',
      amount: 50000,
      currency: 'EUR',
      pipelineId: pipeline.body.id,
    };
    const upsert = (item: Record<string, unknown>) =>
      crm.call<{ data: { outcome: string; id?: string; error?: { code: string } }[] }>(
        'POST',
        '/v1/crm/deals/batch',
        { items: [item] },
      );
    assert.equal((await upsert({ ...deal, stageId: 'open' })).body.data[0]?.outcome, 'created');
    assert.equal((await upsert({ ...deal, stageId: 'open' })).body.data[0]?.outcome, 'unchanged');
    const noReason = await upsert({ ...deal, stageId: 'won' });
    assert.equal(noReason.body.data[0]?.error?.code, 'deal.close_reason_required');
    const won = await upsert({ ...deal, stageId: 'won', closeReason: 'signed in ERP' });
    assert.equal(won.body.data[0]?.outcome, 'updated');
    const wonDeal = await crm.call<View>('GET', `/v1/crm/deals/${won.body.data[0]?.id}`);
    assert.equal(wonDeal.body.stageKind, 'won');
    assert.equal((await upsert({ ...deal, stageId: 'won' })).body.data[0]?.outcome, 'unchanged');

    const tooMany = await crm.call('POST', '/v1/crm/companies/batch', {
      items: Array(501).fill({ externalId: 'x' }),
    });
    assert.equal(tooMany.status, 400);
  });
});
