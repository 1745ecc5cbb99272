import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DomainError } from '@cdp/contracts';
import { emptyState, evolve, type RecordState } from '../domain/crm-record';
import { type AggregateType } from '../domain/record-types';
import { ExecuteRecordCommandUseCase } from './execute-record-command.use-case';
import {
  ConcurrentAppendError,
  type Actor,
  type DecisionInputs,
  type RecordStore,
  type StoredEvent,
} from './record-store.port';

/** An in-memory event store; `interfere` lets a test append "another writer's" event first. */
class MemoryStore implements RecordStore {
  readonly events: StoredEvent[] = [];
  interfere: (() => void) | undefined;

  load(_ws: string, type: AggregateType, id: string): Promise<RecordState> {
    return Promise.resolve(
      this.events
        .filter((e) => e.aggregateId === id)
        .reduce((s, e) => evolve(s, e, e.occurredAt), emptyState(type, id)),
    );
  }

  append(_ws: string, before: RecordState, _after: RecordState, events: readonly StoredEvent[]) {
    const interfere = this.interfere;
    this.interfere = undefined;
    interfere?.();
    const current = this.events.filter((e) => e.aggregateId === before.id).length;
    if (current !== before.version) return Promise.reject(new ConcurrentAppendError(before.id));
    this.events.push(...events);
    return Promise.resolve();
  }

  history(_ws: string, _type: AggregateType, id: string): Promise<StoredEvent[]> {
    return Promise.resolve(this.events.filter((e) => e.aggregateId === id));
  }
}

const inputs: DecisionInputs = {
  customFields: () => Promise.resolve([]),
  pipeline: () => Promise.resolve(undefined),
  dealsInStages: () => Promise.resolve(0),
  existing: (_ws, _type, ids) =>
    Promise.resolve(new Set(ids.filter((id) => id.endsWith('_known')))),
};
const actor: Actor = { type: 'api_key', id: 'key_1', via: { channel: 'api' } };
const otherWriter = (id: string, version: number): StoredEvent => ({
  type: 'updated',
  payload: { fields: { title: 'by someone else' }, customFields: {}, origin: 'crm' },
  workspaceId: 'ws',
  aggregateType: 'contact',
  aggregateId: id,
  version,
  actor,
  occurredAt: new Date().toISOString(),
});

async function created(store: MemoryStore, useCase: ExecuteRecordCommandUseCase): Promise<string> {
  const result = await useCase.execute({
    workspaceId: 'ws',
    type: 'contact',
    command: { kind: 'create', fields: { email: 'a@b.example' }, customFields: {}, origin: 'crm' },
    actor,
  });
  assert.equal(store.events.length, 1);
  return result.state.id;
}

describe('executing a command: load, decide, append with optimistic concurrency', () => {
  test('a lost race without expectedVersion is re-decided on the fresh state', async () => {
    const store = new MemoryStore();
    const useCase = new ExecuteRecordCommandUseCase(store, inputs);
    const id = await created(store, useCase);
    store.interfere = () => store.events.push(otherWriter(id, 2));
    const result = await useCase.execute({
      workspaceId: 'ws',
      type: 'contact',
      id,
      command: { kind: 'update', fields: { firstName: 'Ann' }, customFields: {}, origin: 'crm' },
      actor,
    });
    assert.equal(result.state.version, 3);
    assert.equal(result.state.fields.title, 'by someone else');
    assert.equal(result.state.fields.firstName, 'Ann');
  });

  test('a lost race with expectedVersion is a 409 naming the current version', async () => {
    const store = new MemoryStore();
    const useCase = new ExecuteRecordCommandUseCase(store, inputs);
    const id = await created(store, useCase);
    store.interfere = () => store.events.push(otherWriter(id, 2));
    await assert.rejects(
      useCase.execute({
        workspaceId: 'ws',
        type: 'contact',
        id,
        expectedVersion: 1,
        command: { kind: 'update', fields: { firstName: 'Ann' }, customFields: {}, origin: 'crm' },
        actor,
      }),
      (e: unknown) =>
        e instanceof DomainError &&
        e.code === 'crm.version_conflict' &&
        e.details?.currentVersion === 2,
    );
    const stale = useCase.execute({
      workspaceId: 'ws',
      type: 'contact',
      id,
      expectedVersion: 1,
      command: { kind: 'archive', origin: 'crm' },
      actor,
    });
    await assert.rejects(stale, (e: unknown) => e instanceof DomainError && e.kind === 'conflict');
  });

  test('references must exist in the workspace; a no-op command appends nothing', async () => {
    const store = new MemoryStore();
    const useCase = new ExecuteRecordCommandUseCase(store, inputs);
    await assert.rejects(
      useCase.execute({
        workspaceId: 'ws',
        type: 'contact',
        command: {
          kind: 'create',
          fields: { email: 'x@y.example', companyId: 'com_missing' },
          customFields: {},
          origin: 'crm',
        },
        actor,
      }),
      (e: unknown) => e instanceof DomainError && e.details?.field === 'companyId',
    );
    assert.equal(store.events.length, 0);
    const id = await created(store, useCase);
    const same = await useCase.execute({
      workspaceId: 'ws',
      type: 'contact',
      id,
      command: {
        kind: 'update',
        fields: { email: 'A@B.example' },
        customFields: {},
        origin: 'crm',
      },
      actor,
    });
    assert.deepEqual(same.events, []);
    assert.equal(store.events.length, 1);
  });
});
