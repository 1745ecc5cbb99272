import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AGGREGATE_TYPES } from '../../src/records/domain/record-types';
import { columnsOf, tableOf } from '../../src/records/infrastructure/read-model-schema';
import { SALES_STAGES, startCrm, type CrmHarness } from '../support/harness';

type View = Record<string, unknown> & { id: string; version: number };
type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

describe('CRM records API (real Postgres and NATS)', () => {
  let crm: CrmHarness;
  let pipelineId: string;

  before(async () => {
    crm = await startCrm('crm-records');
    const pipeline = await crm.call<View>('POST', '/v1/crm/pipelines', {
      name: 'Sales',
      stages: SALES_STAGES,
    });
    assert.equal(pipeline.status, 201, JSON.stringify(pipeline.body));
    pipelineId = pipeline.body.id;
  });
  after(() => crm.close());

  test('create, get with ETag, partial update: only changed fields become an event', async () => {
    const created = await crm.call<View>('POST', '/v1/crm/contacts', {
      email: ' Ivanov@Mail.Example ',
      phone: '+7 (912) 555-01-01',
      firstName: 'Ivan',
      lastName: 'Ivanov',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.email, 'ivanov@mail.example');
    assert.equal(created.body.phone, '+79125550101');
    assert.equal(created.body.version, 1);
    assert.equal(created.headers.get('etag'), '"1"');

    const got = await crm.call<View>('GET', `/v1/crm/contacts/${created.body.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('etag'), '"1"');
    assert.equal(got.body.firstName, 'Ivan');
    assert.equal(got.body.cdp, null, 'not linked to a profile yet');

    const updated = await crm.call<View>('PATCH', `/v1/crm/contacts/${created.body.id}`, {
      firstName: 'Ivan',
      title: 'Buyer',
      phone: null,
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body.version, 2);
    assert.equal(updated.body.title, 'Buyer');
    assert.equal(updated.body.phone, undefined, 'null clears');

    // Same values again: no event, version unchanged.
    const again = await crm.call<View>('PATCH', `/v1/crm/contacts/${created.body.id}`, {
      title: 'Buyer',
    });
    assert.equal(again.body.version, 2);

    const history = await crm.call<{ data: Record<string, unknown>[] }>(
      'GET',
      `/v1/crm/contacts/${created.body.id}/history`,
      undefined,
      { headers: { 'user-agent': 'crm-test/1.0', 'x-actor-name': 'Maria Sales' } },
    );
    assert.equal(history.status, 200);
    assert.equal(history.body.data.length, 2);
    const second = history.body.data[1] as {
      type: string;
      changes: { field: string; from: unknown; to: unknown }[];
      actor: { type: string; id: string; via: { channel: string; ip: string } };
      origin: string;
    };
    assert.equal(second.type, 'updated');
    assert.equal(second.origin, 'crm');
    assert.deepEqual(
      second.changes.sort((a, b) => a.field.localeCompare(b.field)),
      [
        { field: 'phone', from: '+79125550101', to: null },
        { field: 'title', from: null, to: 'Buyer' },
      ],
    );
    assert.equal(second.actor.type, 'api_key');
    assert.equal(second.actor.via.channel, 'api');
    assert.ok(second.actor.via.ip, 'from where: the client address');
  });

  test('a stale If-Match or expectedVersion is a 409 with a machine-readable error', async () => {
    const company = await crm.call<View>('POST', '/v1/crm/companies', {
      name: 'Acme',
      domain: 'https://www.Acme.example/',
    });
    assert.equal(company.status, 201, JSON.stringify(company.body));
    assert.equal(company.body.domain, 'acme.example');
    const path = `/v1/crm/companies/${company.body.id}`;
    const first = await crm.call<View>(
      'PATCH',
      path,
      { industry: 'Cars' },
      { headers: { 'if-match': '"1"' } },
    );
    assert.equal(first.status, 200);
    const stale = await crm.call<ErrorBody>(
      'PATCH',
      path,
      { industry: 'Boats' },
      { headers: { 'if-match': '"1"' } },
    );
    assert.equal(stale.status, 409);
    assert.equal(stale.body.error.code, 'crm.version_conflict');
    assert.deepEqual(stale.body.error.details, { expectedVersion: 1, currentVersion: 2 });
    const staleBody = await crm.call<ErrorBody>('PATCH', path, {
      industry: 'Boats',
      expectedVersion: 1,
    });
    assert.equal(staleBody.status, 409);
    const fresh = await crm.call<View>('PATCH', path, { industry: 'Boats', expectedVersion: 2 });
    assert.equal(fresh.status, 200);
    assert.equal(fresh.body.industry, 'Boats');
  });

  test('concurrent writers with the same expectedVersion: exactly one wins, the others get 409', async () => {
    const contact = await crm.call<View>('POST', '/v1/crm/contacts', { email: 'race@example.com' });
    const path = `/v1/crm/contacts/${contact.body.id}`;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        crm.call('PATCH', path, { title: `T${i}`, expectedVersion: 1 }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
    assert.equal(statuses.filter((s) => s === 409).length, 7);
    // Without expectedVersion, concurrent writers are retried on the fresh state: all land.
    const blind = await Promise.all(
      Array.from({ length: 8 }, (_, i) => crm.call('PATCH', path, { lastName: `L${i}` })),
    );
    assert.deepEqual(
      blind.map((r) => r.status),
      Array(8).fill(200),
    );
    const final = await crm.call<View>('GET', path);
    assert.equal(final.body.version, 2 + 8);
  });

  test('bad input is a 400 with the field, never a 5xx', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/v1/crm/contacts', { email: 'not-an-email' }, 'crm.invalid_field'],
      ['POST', '/v1/crm/contacts', { title: 'Nobody' }, 'contact.identity_required'],
      ['POST', '/v1/crm/contacts', { email: 'a@b.example', shoeSize: 42 }, 'crm.unknown_field'],
      [
        'POST',
        '/v1/crm/contacts',
        { email: 'a@b.example', companyId: 'com_doesnotexist' },
        'crm.invalid_field',
      ],
      [
        'POST',
        '/v1/crm/contacts',
        { email: 'a@b.example', customFields: { nope: 1 } },
        'crm.unknown_custom_field',
      ],
      ['POST', '/v1/crm/deals', { name: 'D', pipelineId: 'pipe_missing' }, 'deal.unknown_pipeline'],
      ['POST', '/v1/crm/companies', [1, 2], 'request.invalid'],
      ['GET', '/v1/crm/contacts?filter.shoeSize=1', undefined, 'crm.invalid_query'],
      ['GET', '/v1/crm/contacts?cursor=garbage', undefined, 'crm.invalid_query'],
      ['GET', '/v1/crm/contacts?sort=-nope', undefined, 'crm.invalid_query'],
    ];
    for (const [method, path, body, code] of cases) {
      const response = await crm.call<ErrorBody>(method, path, body);
      assert.equal(response.status, 400, `${method} ${path}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.code, code, `${method} ${path}`);
    }
    const missing = await crm.call<ErrorBody>('PATCH', '/v1/crm/contacts/con_missing', {
      title: 'x',
    });
    assert.equal(missing.status, 404);
  });

  test('deals: stage moves are commands, a closed deal needs a close reason', async () => {
    const deal = await crm.call<View>('POST', '/v1/crm/deals', {
      name: 'Octavia for Ivanov',
      amount: 18500,
      currency: 'eur',
      pipelineId,
    });
    assert.equal(deal.status, 201, JSON.stringify(deal.body));
    assert.equal(deal.body.stageId, 'qualify', 'the first open stage by default');
    assert.equal(deal.body.stageKind, 'open');
    assert.equal(deal.body.currency, 'EUR');
    const path = `/v1/crm/deals/${deal.body.id}`;

    const viaPatch = await crm.call<ErrorBody>('PATCH', path, { stageId: 'won' });
    assert.equal(viaPatch.status, 400);
    assert.equal(viaPatch.body.error.code, 'crm.field_not_writable');

    const moved = await crm.call<View>('POST', `${path}/stage`, { stageId: 'negotiation' });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.stageId, 'negotiation');

    const noReason = await crm.call<ErrorBody>('POST', `${path}/stage`, { stageId: 'won' });
    assert.equal(noReason.status, 400);
    assert.equal(noReason.body.error.code, 'deal.close_reason_required');
    const unknown = await crm.call<ErrorBody>('POST', `${path}/stage`, { stageId: 'paradise' });
    assert.equal(unknown.body.error.code, 'deal.unknown_stage');

    const won = await crm.call<View>('POST', `${path}/stage`, {
      stageId: 'won',
      closeReason: 'best price',
    });
    assert.equal(won.status, 200);
    assert.equal(won.body.stageKind, 'won');
    assert.equal(won.body.closeReason, 'best price');
    assert.ok(typeof won.body.closedAt === 'string');

    // A stage holding live deals cannot be removed from the pipeline.
    const open = await crm.call<View>('POST', '/v1/crm/deals', { name: 'Still open', pipelineId });
    await crm.call('POST', `/v1/crm/deals/${open.body.id}/stage`, { stageId: 'proposal' });
    const withoutProposal = SALES_STAGES.filter((s) => s.id !== 'proposal');
    const inUse = await crm.call<ErrorBody>('PATCH', `/v1/crm/pipelines/${pipelineId}`, {
      stages: withoutProposal,
    });
    assert.equal(inUse.status, 409, JSON.stringify(inUse.body));
    assert.equal(inUse.body.error.code, 'pipeline.stage_in_use');
    await crm.call('POST', `/v1/crm/deals/${open.body.id}/archive`, {});
    const renamed = await crm.call<View>('PATCH', `/v1/crm/pipelines/${pipelineId}`, {
      stages: SALES_STAGES.map((s) => (s.id === 'proposal' ? { ...s, name: 'Offer sent' } : s)),
    });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));

    const history = await crm.call<{ data: { type: string; payload: Record<string, unknown> }[] }>(
      'GET',
      `${path}/history`,
    );
    const moves = history.body.data.filter((e) => e.type === 'stage_changed').map((e) => e.payload);
    assert.deepEqual(moves, [
      { fromStageId: 'qualify', toStageId: 'negotiation', stageKind: 'open', origin: 'crm' },
      {
        fromStageId: 'negotiation',
        toStageId: 'won',
        stageKind: 'won',
        closeReason: 'best price',
        origin: 'crm',
      },
    ]);
  });

  test('a write answers with exactly what a read returns (every field kind)', async () => {
    const owner = await crm.call<View>('POST', '/v1/crm/owners', {
      name: 'Anna',
      email: 'Anna@CRM.example',
    });
    assert.equal(owner.status, 201, JSON.stringify(owner.body));
    assert.equal(owner.body.active, true);
    const company = await crm.call<View>('POST', '/v1/crm/companies', {
      name: 'Volga',
      employees: 12,
      annualRevenue: 1234.5,
    });
    const contact = await crm.call<View>('POST', '/v1/crm/contacts', {
      email: 'kinds@example.com',
      companyId: company.body.id,
      ownerId: owner.body.id,
    });
    const deal = await crm.call<View>('POST', '/v1/crm/deals', {
      name: 'Kinds',
      amount: 99.95,
      currency: 'USD',
      pipelineId,
      contactIds: [contact.body.id, contact.body.id],
      companyId: company.body.id,
      expectedCloseDate: '2026-06-30',
    });
    assert.deepEqual(deal.body.contactIds, [contact.body.id], 'ids deduplicated');
    const task = await crm.call<View>('POST', '/v1/crm/tasks', {
      title: 'Remind',
      reminders: ['2026-05-02T10:00:00Z', '2026-05-01T10:00:00+02:00'],
      dealId: deal.body.id,
      assigneeId: owner.body.id,
    });
    const activity = await crm.call<View>('POST', '/v1/crm/activities', {
      kind: 'call',
      subject: 'Called about the Octavia',
      durationMinutes: 7,
      targets: [
        { type: 'contact', id: contact.body.id },
        { type: 'deal', id: deal.body.id },
      ],
    });
    assert.equal(activity.status, 201, JSON.stringify(activity.body));
    const timeline = await crm.call<{ data: View[] }>(
      'GET',
      `/v1/crm/activities?filter.targets.contains=${deal.body.id}`,
    );
    assert.deepEqual(
      timeline.body.data.map((a) => a.id),
      [activity.body.id],
    );
    const dealsOfContact = await crm.call<{ data: View[] }>(
      'GET',
      `/v1/crm/deals?filter.contactIds.contains=${contact.body.id}`,
    );
    assert.deepEqual(
      dealsOfContact.body.data.map((d) => d.id),
      [deal.body.id],
    );
    for (const [collection, written] of [
      ['owners', owner],
      ['companies', company],
      ['deals', deal],
      ['tasks', task],
      ['activities', activity],
    ] as const) {
      const read = await crm.call<View>('GET', `/v1/crm/${collection}/${written.body.id}`);
      assert.deepEqual(read.body, written.body, collection);
    }
    const contactRead = await crm.call<View>('GET', `/v1/crm/contacts/${contact.body.id}`);
    const { cdp: _cdp, ...withoutCdp } = contactRead.body;
    assert.deepEqual(withoutCdp, contact.body);
  });

  test('tasks complete, tickets follow their transitions', async () => {
    const task = await crm.call<View>('POST', '/v1/crm/tasks', {
      title: 'Call back',
      dueAt: '2026-03-01T10:00:00+03:00',
    });
    assert.equal(task.status, 201, JSON.stringify(task.body));
    assert.equal(task.body.status, 'open');
    assert.equal(task.body.dueAt, '2026-03-01T07:00:00.000Z');
    const done = await crm.call<View>('POST', `/v1/crm/tasks/${task.body.id}/complete`, {});
    assert.equal(done.body.status, 'completed');
    assert.ok(done.body.completedAt);
    const twice = await crm.call<View>('POST', `/v1/crm/tasks/${task.body.id}/complete`, {});
    assert.equal(twice.body.version, done.body.version, 'completing twice changes nothing');

    const ticket = await crm.call<View>('POST', '/v1/crm/tickets', {
      subject: 'Strap uncomfortable',
      priority: 'high',
    });
    assert.equal(ticket.status, 201, JSON.stringify(ticket.body));
    assert.equal(ticket.body.status, 'open');
    const sla =
      Date.parse(String(ticket.body.slaDueAt)) - Date.parse(String(ticket.body.createdAt));
    assert.equal(sla, 24 * 3_600_000, 'high priority: 24 h SLA');
    const tpath = `/v1/crm/tickets/${ticket.body.id}/status`;
    assert.equal((await crm.call<View>('POST', tpath, { status: 'solved' })).body.status, 'solved');
    assert.equal((await crm.call<View>('POST', tpath, { status: 'closed' })).body.status, 'closed');
    const reopen = await crm.call<ErrorBody>('POST', tpath, { status: 'open' });
    assert.equal(reopen.status, 409);
    assert.equal(reopen.body.error.code, 'ticket.transition_not_allowed');
  });

  test('archive/restore; lists filter (incl. custom fields), sort, search and page with a cursor', async () => {
    const field = await crm.call('POST', '/v1/crm/custom-fields', {
      objectType: 'contact',
      key: 'budget',
      type: 'currency',
      currency: 'EUR',
    });
    assert.equal(field.status, 201, JSON.stringify(field.body));
    const tier = await crm.call('POST', '/v1/crm/custom-fields', {
      objectType: 'contact',
      key: 'interests',
      type: 'multi_enum',
      options: ['suv', 'sedan', 'van'],
    });
    assert.equal(tier.status, 201);
    const badValue = await crm.call<ErrorBody>('POST', '/v1/crm/contacts', {
      email: 'x@list.example',
      customFields: { interests: ['bike'] },
    });
    assert.equal(badValue.status, 400);

    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const c = await crm.call<View>('POST', '/v1/crm/contacts', {
        email: `buyer${i}@list.example`,
        lastName: `Zeta${i}`,
        lifecycleStage: i % 2 === 0 ? 'customer' : 'lead',
        notes: i === 3 ? 'wants a red convertible' : 'nothing special',
        customFields: { budget: 10_000 + i * 1000, interests: i < 3 ? ['suv'] : ['sedan', 'van'] },
      });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      ids.push(c.body.id);
    }
    const page = (q: string) =>
      crm.call<{ data: View[]; nextCursor: string | null }>('GET', `/v1/crm/contacts?${q}`);

    const customers = await page(
      'filter.lifecycleStage=customer&filter.email.in=' +
        [0, 1, 2, 3, 4, 5, 6].map((i) => `buyer${i}@list.example`).join(',') +
        '&sort=lastName',
    );
    assert.deepEqual(
      customers.body.data.map((c) => c.lastName),
      ['Zeta0', 'Zeta2', 'Zeta4', 'Zeta6'],
    );

    const rich = await page('filter.cf.budget.gte=14000&sort=-cf.budget');
    assert.deepEqual(
      rich.body.data.map((c) => c.lastName),
      ['Zeta6', 'Zeta5', 'Zeta4'],
    );
    const suv = await page('filter.cf.interests.contains=suv&sort=lastName');
    assert.deepEqual(
      suv.body.data.map((c) => c.lastName),
      ['Zeta0', 'Zeta1', 'Zeta2'],
    );

    const found = await page('q=convertible');
    assert.deepEqual(
      found.body.data.map((c) => c.id),
      [ids[3]],
    );
    const byEmail = await page('q=buyer5');
    assert.deepEqual(
      byEmail.body.data.map((c) => c.id),
      [ids[5]],
    );

    // Cursor pagination over a sort with ties walks every row once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `filter.email.in=${[0, 1, 2, 3, 4, 5, 6].map((i) => `buyer${i}@list.example`).join(',')}&sort=lifecycleStage&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await page(q);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      seen.push(...response.body.data.map((c) => c.id));
      cursor = response.body.nextCursor;
    } while (cursor);
    assert.equal(seen.length, 7);
    assert.equal(new Set(seen).size, 7);

    // Nullable sort keys, both directions: nulls last ascending, first descending; every row once.
    await crm.call('PATCH', `/v1/crm/contacts/${ids[1]}`, { title: 'Buyer' });
    await crm.call('PATCH', `/v1/crm/contacts/${ids[4]}`, { title: 'Analyst' });
    await crm.call('PATCH', `/v1/crm/contacts/${ids[5]}`, { title: 'Buyer' });
    const emails = [0, 1, 2, 3, 4, 5, 6].map((i) => `buyer${i}@list.example`).join(',');
    for (const sort of ['title', '-title']) {
      const walked: View[] = [];
      let next: string | null = null;
      do {
        const response = await page(
          `filter.email.in=${emails}&sort=${sort}&limit=2${next ? `&cursor=${next}` : ''}`,
        );
        assert.equal(response.status, 200, JSON.stringify(response.body));
        walked.push(...response.body.data);
        next = response.body.nextCursor;
      } while (next);
      assert.equal(new Set(walked.map((c) => c.id)).size, 7, sort);
      const titles = walked.map((c) => c.title ?? null);
      assert.deepEqual(
        titles,
        sort === 'title'
          ? ['Analyst', 'Buyer', 'Buyer', null, null, null, null]
          : [null, null, null, null, 'Buyer', 'Buyer', 'Analyst'],
      );
    }

    const archived = await crm.call<View>('POST', `/v1/crm/contacts/${ids[0]}/archive`, {});
    assert.equal(archived.body.archived, true);
    const live = await page('filter.lifecycleStage=customer&q=list');
    assert.ok(
      !live.body.data.some((c) => c.id === ids[0]),
      'archived records leave the default list',
    );
    const onlyArchived = await page('archived=true');
    assert.deepEqual(
      onlyArchived.body.data.map((c) => c.id),
      [ids[0]],
    );
    const editArchived = await crm.call<ErrorBody>('PATCH', `/v1/crm/contacts/${ids[0]}`, {
      title: 'x',
    });
    assert.equal(editArchived.status, 409);
    assert.equal(editArchived.body.error.code, 'crm.record_archived');
    const restored = await crm.call<View>('POST', `/v1/crm/contacts/${ids[0]}/restore`, {});
    assert.equal(restored.body.archived, false);
  });

  test('every event is published once as cdp.crm.<aggregate>.<type>.v1.<ws> (CrmEvent)', async () => {
    const contact = await crm.call<View>('POST', '/v1/crm/contacts', {
      email: 'pub@example.com',
      phone: '+1 555 0100',
    });
    await crm.call('PATCH', `/v1/crm/contacts/${contact.body.id}`, { firstName: 'Pat' });
    const ws = crm.tenant.workspaceId;
    const messages = await crm.eventually(() => {
      const mine = crm.published.filter((m) => m.body.aggregateId === contact.body.id);
      return mine.length >= 2 ? mine : undefined;
    });
    assert.deepEqual(
      messages.map((m) => m.subject),
      [`cdp.crm.contact.created.v1.${ws}`, `cdp.crm.contact.updated.v1.${ws}`],
    );
    const created = messages[0]?.body as Record<string, unknown>;
    assert.equal(created.aggregateType, 'contact');
    assert.equal(created.aggregateVersion, '1');
    assert.equal(messages[0]?.msgId, `${ws}:crm-${contact.body.id}-v1`);
    assert.deepEqual(created.payload, {
      fields: { email: 'pub@example.com', phone: '+15550100' },
      customFields: {},
      origin: 'crm',
    });
    assert.equal((created.actor as { type: string }).type, 'ACTOR_TYPE_API_KEY');
    assert.ok(typeof created.occurredAt === 'string');
    assert.deepEqual((messages[1]?.body as { payload: unknown }).payload, {
      fields: { firstName: 'Pat' },
      customFields: {},
      origin: 'crm',
    });
    const outbox = await crm.postgres.query<{ n: string }[]>(
      'SELECT count(*) AS n FROM crm.outbox',
    );
    await crm.eventually(async () =>
      Number(
        (await crm.postgres.query<{ n: string }[]>('SELECT count(*) AS n FROM crm.outbox'))[0]?.n,
      ) === 0
        ? true
        : undefined,
    );
    assert.ok(outbox);
  });

  test('rebuild: read models re-projected from crm.events equal the live ones', async () => {
    const verify = await crm.call<{
      equal: boolean;
      events: number;
      aggregates: number;
      differences: unknown[];
      tables: Record<string, { live: number; rebuilt: number }>;
    }>('POST', '/v1/crm/rebuild', { verifyOnly: true });
    assert.equal(verify.status, 200, JSON.stringify(verify.body));
    assert.ok(verify.body.events > 20);
    assert.deepEqual(verify.body.differences, []);
    assert.equal(verify.body.equal, true);
    assert.ok((verify.body.tables['crm.contacts']?.live ?? 0) > 5);
    assert.equal(
      verify.body.tables['crm.contacts']?.live,
      verify.body.tables['crm.contacts']?.rebuilt,
    );

    // A read model damaged behind the CRM's back is detected, and a real rebuild repairs it.
    await crm.postgres.query(`UPDATE crm.contacts SET title = 'tampered' WHERE workspace_id = $1`, [
      crm.tenant.workspaceId,
    ]);
    await crm.postgres.query(`DELETE FROM crm.deal_stage_history WHERE workspace_id = $1`, [
      crm.tenant.workspaceId,
    ]);
    const damaged = await crm.call<{ equal: boolean; differences: { table: string }[] }>(
      'POST',
      '/v1/crm/rebuild',
      {},
    );
    assert.equal(damaged.body.equal, false);
    assert.ok(damaged.body.differences.some((d) => d.table === 'crm.deal_stage_history'));
    const clean = await crm.call<{ equal: boolean }>('POST', '/v1/crm/rebuild', {
      verifyOnly: true,
    });
    assert.equal(clean.body.equal, true);
    const titles = await crm.postgres.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM crm.contacts WHERE title = 'tampered'`,
    );
    assert.equal(Number(titles[0]?.n), 0);
  });

  test('the migrated read-model tables have a column for every declared field', async () => {
    for (const type of AGGREGATE_TYPES) {
      const table = tableOf(type).slice('crm.'.length);
      const rows = await crm.postgres.query<{ column_name: string; udt_name: string }[]>(
        `SELECT column_name, udt_name FROM information_schema.columns
         WHERE table_schema = 'crm' AND table_name = $1`,
        [table],
      );
      const present = new Set(rows.map((r) => r.column_name));
      for (const column of columnsOf(type))
        assert.ok(present.has(column.column), `${table}.${column.column} (${column.field.name})`);
    }
  });

  test("another workspace's records are 404s", async () => {
    const other = await crm.newTenant();
    const mine = await crm.call<View>('POST', '/v1/crm/contacts', { email: 'mine@example.com' });
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['PATCH', '', { title: 'x' }],
      ['POST', '/archive', {}],
      ['GET', '/history', undefined],
    ] as const) {
      const response = await crm.call<ErrorBody>(
        method,
        `/v1/crm/contacts/${mine.body.id}${suffix}`,
        body,
        { key: other.adminKey },
      );
      assert.equal(response.status, 404, `${method} ${suffix}`);
    }
    const list = await crm.call<{ data: View[] }>('GET', '/v1/crm/contacts', undefined, {
      key: other.adminKey,
    });
    assert.deepEqual(list.body.data, []);
    // A reference to another workspace's record is refused.
    const theirs = await crm.call<ErrorBody>(
      'POST',
      '/v1/crm/deals',
      { name: 'steal', pipelineId },
      { key: other.adminKey },
    );
    assert.equal(theirs.status, 400);
  });
});
