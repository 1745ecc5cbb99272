import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DomainError } from '@cdp/contracts';
import {
  decide,
  emptyState,
  evolve,
  replay,
  type DecisionContext,
  type RecordCommand,
  type RecordEvent,
  type RecordState,
} from './crm-record';
import { normaliseStages } from './field-values';

const NOW = '2026-03-01T10:00:00.000Z';
const stages = normaliseStages('stages', [
  { name: 'Qualify', probability: 10 },
  { name: 'Proposal', probability: 50 },
  { id: 'won', name: 'Won', kind: 'won' },
  { id: 'lost', name: 'Lost', kind: 'lost' },
]);
const context: DecisionContext = {
  now: NOW,
  customFields: [
    {
      objectType: 'deal',
      key: 'source',
      label: 'Source',
      type: 'enum',
      options: ['web', 'phone'],
      currency: null,
      required: false,
    },
  ],
  pipeline: { id: 'pipe_1', stages },
};

/** Decides and applies, like the store: the state after the command. */
function run(state: RecordState, command: RecordCommand, at = NOW): RecordState {
  return decide(state, command, { ...context, now: at }).reduce((s, e) => evolve(s, e, at), state);
}

function rejects(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => error instanceof DomainError && error.code === code);
}

const create = (fields: Record<string, unknown>): RecordCommand => ({
  kind: 'create',
  fields: fields as never,
  customFields: {},
  origin: 'crm',
});

describe('CRM aggregates: decide and evolve', () => {
  test('a contact is created with normalised identifiers and needs an email, phone or name', () => {
    const contact = run(
      emptyState('contact', 'con_1'),
      create({ email: 'A@B.example', phone: '8 (912) 555' }),
    );
    assert.equal(contact.version, 1);
    assert.deepEqual(contact.fields, { email: 'a@b.example', phone: '8912555' });
    assert.equal(contact.createdAt, NOW);
    rejects(
      () => decide(emptyState('contact', 'con_2'), create({ title: 'CEO' }), context),
      'contact.identity_required',
    );
    rejects(() => decide(contact, create({ email: 'x@y.example' }), context), 'crm.already_exists');
  });

  test('an update emits only what changed; null clears; nothing changed is no event', () => {
    const contact = run(
      emptyState('contact', 'con_1'),
      create({ email: 'a@b.example', title: 'CEO' }),
    );
    const events = decide(
      contact,
      {
        kind: 'update',
        fields: { email: 'A@b.example', title: null, firstName: 'Ann' },
        customFields: {},
        origin: 'crm',
      },
      context,
    );
    assert.deepEqual(events, [
      {
        type: 'updated',
        payload: { fields: { title: null, firstName: 'Ann' }, customFields: {}, origin: 'crm' },
      },
    ]);
    const after = events.reduce((s, e) => evolve(s, e, NOW), contact);
    assert.deepEqual(after.fields, { email: 'a@b.example', firstName: 'Ann' });
    assert.deepEqual(
      decide(
        after,
        { kind: 'update', fields: { firstName: 'Ann' }, customFields: {}, origin: 'crm' },
        context,
      ),
      [],
    );
  });

  test('archived records refuse updates until restored; archiving twice is no event', () => {
    const company = run(emptyState('company', 'com_1'), create({ name: 'Acme' }));
    const archived = run(company, { kind: 'archive', origin: 'crm' });
    assert.equal(archived.archived, true);
    assert.deepEqual(decide(archived, { kind: 'archive', origin: 'crm' }, context), []);
    rejects(
      () =>
        decide(
          archived,
          { kind: 'update', fields: { name: 'B' }, customFields: {}, origin: 'crm' },
          context,
        ),
      'crm.record_archived',
    );
    assert.equal(run(archived, { kind: 'restore', origin: 'crm' }).archived, false);
    rejects(
      () => decide(emptyState('company', 'com_9'), { kind: 'archive', origin: 'crm' }, context),
      'crm.not_found',
    );
  });

  test('a deal starts in the first open stage; closing it needs a close reason', () => {
    const deal = run(
      emptyState('deal', 'deal_1'),
      create({ name: 'Octavia', amount: 18500, currency: 'eur', pipelineId: 'pipe_1' }),
    );
    assert.equal(deal.fields.stageId, 'qualify');
    assert.equal(deal.fields.stageKind, 'open');
    assert.equal(deal.fields.currency, 'EUR');
    rejects(
      () => decide(deal, { kind: 'move_stage', toStageId: 'won', origin: 'crm' }, context),
      'deal.close_reason_required',
    );
    rejects(
      () => decide(deal, { kind: 'move_stage', toStageId: 'nowhere', origin: 'crm' }, context),
      'deal.unknown_stage',
    );
    rejects(
      () =>
        decide(
          deal,
          { kind: 'move_stage', toStageId: 'proposal', closeReason: 'x', origin: 'crm' },
          context,
        ),
      'crm.invalid_field',
    );
    const later = '2026-03-05T10:00:00.000Z';
    const won = run(
      deal,
      { kind: 'move_stage', toStageId: 'won', closeReason: ' price ', origin: 'crm' },
      later,
    );
    assert.equal(won.fields.stageKind, 'won');
    assert.equal(won.fields.closeReason, 'price');
    assert.equal(won.fields.closedAt, later);
    // Reopening clears the close.
    const reopened = run(won, { kind: 'move_stage', toStageId: 'proposal', origin: 'crm' });
    assert.equal(reopened.fields.closedAt, undefined);
    assert.equal(reopened.fields.closeReason, undefined);
    assert.deepEqual(
      decide(reopened, { kind: 'move_stage', toStageId: 'proposal', origin: 'crm' }, context),
      [],
    );
    rejects(
      () =>
        decide(
          deal,
          { kind: 'update', fields: { stageId: 'won' }, customFields: {}, origin: 'crm' },
          context,
        ),
      'crm.field_not_writable',
    );
    rejects(
      () =>
        decide(
          emptyState('deal', 'deal_2'),
          create({ name: 'x', amount: 5, pipelineId: 'pipe_1' }),
          context,
        ),
      'crm.invalid_field',
    );
  });

  test('custom fields are validated against their definition', () => {
    const deal = decide(
      emptyState('deal', 'deal_1'),
      {
        kind: 'create',
        fields: { name: 'D', pipelineId: 'pipe_1' },
        customFields: { source: 'web' },
        origin: 'crm',
      },
      context,
    );
    assert.deepEqual((deal[0]?.payload as { customFields: unknown }).customFields, {
      source: 'web',
    });
    rejects(
      () =>
        decide(
          emptyState('deal', 'deal_2'),
          {
            kind: 'create',
            fields: { name: 'D', pipelineId: 'pipe_1' },
            customFields: { source: 'fax' },
            origin: 'crm',
          },
          context,
        ),
      'crm.invalid_field',
    );
  });

  test('a task completes once and can be reopened', () => {
    const task = run(emptyState('task', 'task_1'), create({ title: 'Call' }));
    assert.equal(task.fields.status, 'open');
    assert.equal(task.fields.priority, 'normal');
    const done = run(task, { kind: 'complete_task', origin: 'crm' });
    assert.equal(done.fields.status, 'completed');
    assert.equal(done.fields.completedAt, NOW);
    assert.deepEqual(decide(done, { kind: 'complete_task', origin: 'crm' }, context), []);
    const open = run(done, { kind: 'reopen_task', origin: 'crm' });
    assert.equal(open.fields.status, 'open');
    assert.equal(open.fields.completedAt, undefined);
    rejects(
      () => decide(task, { kind: 'change_ticket_status', to: 'solved', origin: 'crm' }, context),
      'crm.command_not_supported',
    );
  });

  test('tickets: SLA from priority, allowed transitions only, closed is final', () => {
    const ticket = run(
      emptyState('ticket', 'tkt_1'),
      create({ subject: 'Return', priority: 'urgent' }),
    );
    assert.equal(ticket.fields.status, 'open');
    assert.equal(ticket.fields.slaDueAt, '2026-03-01T14:00:00.000Z', 'urgent: 4 h');
    const solved = run(ticket, { kind: 'change_ticket_status', to: 'solved', origin: 'crm' });
    assert.equal(solved.fields.solvedAt, NOW);
    const closed = run(solved, { kind: 'change_ticket_status', to: 'closed', origin: 'crm' });
    assert.equal(closed.fields.closedAt, NOW);
    assert.equal(closed.fields.solvedAt, NOW, 'closing keeps when it was solved');
    rejects(
      () => decide(closed, { kind: 'change_ticket_status', to: 'open', origin: 'crm' }, context),
      'ticket.transition_not_allowed',
    );
    rejects(
      () =>
        decide(
          ticket,
          { kind: 'update', fields: { status: 'closed' }, customFields: {}, origin: 'crm' },
          context,
        ),
      'crm.field_not_writable',
    );
  });

  test('a pipeline needs open, won and lost stages with consistent probabilities', () => {
    rejects(
      () =>
        decide(
          emptyState('pipeline', 'pipe_2'),
          create({ name: 'P', stages: [{ name: 'A' }, { name: 'B' }, { name: 'C', kind: 'won' }] }),
          context,
        ),
      'crm.invalid_field',
    );
    rejects(
      () =>
        decide(
          emptyState('pipeline', 'pipe_2'),
          create({
            name: 'P',
            stages: [
              { name: 'A' },
              { name: 'W', kind: 'won', probability: 90 },
              { name: 'L', kind: 'lost' },
            ],
          }),
          context,
        ),
      'crm.invalid_field',
    );
    const pipeline = run(
      emptyState('pipeline', 'pipe_2'),
      create({
        name: 'P',
        stages: [{ name: 'First Call' }, { name: 'W', kind: 'won' }, { name: 'L', kind: 'lost' }],
      }),
    );
    assert.deepEqual(
      (pipeline.fields.stages as { id: string; probability: number }[]).map((s) => [
        s.id,
        s.probability,
      ]),
      [
        ['first_call', 0],
        ['w', 100],
        ['l', 0],
      ],
    );
  });

  test('replaying the stored events gives the same state as deciding them live', () => {
    let live = emptyState('deal', 'deal_1');
    const stored: (RecordEvent & { occurredAt: string })[] = [];
    const commands: RecordCommand[] = [
      create({ name: 'D', amount: 100, currency: 'USD', pipelineId: 'pipe_1' }),
      { kind: 'update', fields: { amount: 150 }, customFields: { source: 'phone' }, origin: 'crm' },
      { kind: 'move_stage', toStageId: 'lost', closeReason: 'budget', origin: 'crm' },
      { kind: 'archive', origin: 'crm' },
    ];
    commands.forEach((command, i) => {
      const at = new Date(Date.parse(NOW) + i * 60_000).toISOString();
      for (const event of decide(live, command, { ...context, now: at })) {
        live = evolve(live, event, at);
        stored.push({ ...event, occurredAt: at });
      }
    });
    assert.deepEqual(replay('deal', 'deal_1', stored), live);
    assert.equal(live.version, 4);
  });
});
