import { DomainError } from '@cdp/contracts';
import { normaliseCustomFields, type CustomFieldDefinition } from './custom-fields';
import { invalidField, normaliseFieldValue, type Stage } from './field-values';
import {
  FIELD_SPECS,
  isCustomizable,
  type AggregateType,
  type JsonObject,
  type JsonValue,
  type StageKind,
  type TicketPriority,
  type TicketStatus,
} from './record-types';

/**
 * One event-sourced CRM aggregate (contact, company, deal, pipeline, activity, task, ticket,
 * owner): `decide(state, command, context)` returns the events a command produces (or throws a
 * DomainError naming the broken rule) and `evolve(state, event)` folds an event into the state.
 * Both are pure: the event store replays `evolve` to load an aggregate and to rebuild the read
 * models, so a read model is a function of the event log.
 */

/** Where a change comes from (docs/integration-contracts.md): consumers never echo `cdp`. */
export type Origin = 'crm' | 'import' | 'cdp';

export interface RecordState {
  readonly type: AggregateType;
  readonly id: string;
  /** Number of events applied: 0 for a record that does not exist yet. */
  readonly version: number;
  readonly fields: Readonly<Record<string, JsonValue>>;
  readonly customFields: Readonly<Record<string, JsonValue>>;
  readonly archived: boolean;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
}

export type RecordEventType =
  | 'created'
  | 'updated'
  | 'archived'
  | 'restored'
  | 'stage_changed'
  | 'completed'
  | 'reopened'
  | 'status_changed';

/** An event as decided; the store adds the aggregate, version, actor and time. */
export interface RecordEvent {
  readonly type: RecordEventType;
  readonly payload: JsonObject;
}

export type RecordCommand =
  | {
      readonly kind: 'create';
      readonly fields: JsonObject;
      readonly customFields: JsonObject;
      readonly origin: Origin;
    }
  | {
      readonly kind: 'update';
      readonly fields: JsonObject;
      readonly customFields: JsonObject;
      readonly origin: Origin;
    }
  | { readonly kind: 'archive'; readonly origin: Origin }
  | { readonly kind: 'restore'; readonly origin: Origin }
  | {
      readonly kind: 'move_stage';
      readonly toStageId: string;
      readonly closeReason?: string;
      readonly origin: Origin;
    }
  | { readonly kind: 'complete_task'; readonly origin: Origin }
  | { readonly kind: 'reopen_task'; readonly origin: Origin }
  | { readonly kind: 'change_ticket_status'; readonly to: TicketStatus; readonly origin: Origin };

/** What a decision may read besides the aggregate itself (loaded by the application). */
export interface DecisionContext {
  /** When the command is decided (becomes the event's occurred_at). */
  readonly now: string;
  readonly customFields: readonly CustomFieldDefinition[];
  /** The deal's pipeline (for deal creation and stage moves). */
  readonly pipeline?: { readonly id: string; readonly stages: readonly Stage[] };
}

export function emptyState(type: AggregateType, id: string): RecordState {
  return {
    type,
    id,
    version: 0,
    fields: {},
    customFields: {},
    archived: false,
    createdAt: null,
    updatedAt: null,
  };
}

/** Fields a record of each type cannot exist without (nor have cleared). */
const REQUIRED: Readonly<Record<AggregateType, readonly string[]>> = {
  contact: [],
  company: ['name'],
  deal: ['name', 'pipelineId', 'stageId'],
  pipeline: ['name', 'stages'],
  activity: ['kind', 'occurredAt'],
  task: ['title'],
  ticket: ['subject', 'priority', 'slaDueAt'],
  owner: ['name', 'email'],
};

/** Default SLA of a ticket by priority, in hours (first-response-to-solution target). */
export const TICKET_SLA_HOURS: Readonly<Record<TicketPriority, number>> = {
  urgent: 4,
  high: 24,
  normal: 72,
  low: 168,
};

/**
 * Allowed ticket transitions. `solved` can be reopened while the customer still answers;
 * `closed` is final (a new question is a new ticket).
 */
export const TICKET_TRANSITIONS: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  open: ['pending', 'on_hold', 'solved', 'closed'],
  pending: ['open', 'on_hold', 'solved', 'closed'],
  on_hold: ['open', 'pending', 'solved', 'closed'],
  solved: ['open', 'closed'],
  closed: [],
};

function sameJson(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function notFound(state: RecordState): DomainError {
  return new DomainError('not_found', 'crm.not_found', `${state.type} ${state.id} not found`);
}

function wrongType(state: RecordState, command: RecordCommand['kind']): DomainError {
  return new DomainError(
    'invalid',
    'crm.command_not_supported',
    `${command} does not apply to a ${state.type}`,
  );
}

function mustBeLive(state: RecordState): void {
  if (state.version === 0) throw notFound(state);
  if (state.archived)
    throw new DomainError(
      'conflict',
      'crm.record_archived',
      `${state.type} ${state.id} is archived: restore it first`,
    );
}

/** Validates caller-supplied fields: only declared, writable ones; null clears. */
function normaliseInputFields(
  type: AggregateType,
  input: JsonObject,
  mode: 'create' | 'update',
): Record<string, JsonValue> {
  const result: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(input)) {
    const spec = FIELD_SPECS[type].find((f) => f.name === name);
    if (!spec)
      throw new DomainError('invalid', 'crm.unknown_field', `${name}: not a field of ${type}`, {
        field: name,
      });
    if (spec.write === 'system' || (spec.write === 'create' && mode === 'update'))
      throw new DomainError(
        'invalid',
        'crm.field_not_writable',
        `${name}: ${
          spec.write === 'system' ? 'derived by the CRM' : 'changed through its own command'
        }${hintFor(type, name)}`,
        { field: name },
      );
    result[name] = value === null ? null : normaliseFieldValue(name, spec.type, value);
  }
  return result;
}

function hintFor(type: AggregateType, name: string): string {
  if (type === 'deal' && (name === 'stageId' || name === 'closeReason'))
    return ' (POST /v1/crm/deals/{id}/stage)';
  if (type === 'ticket' && name === 'status') return ' (POST /v1/crm/tickets/{id}/status)';
  if (type === 'task' && name === 'status') return ' (POST /v1/crm/tasks/{id}/complete)';
  return '';
}

function customFieldsFor(
  type: AggregateType,
  context: DecisionContext,
  input: JsonObject,
  mode: 'create' | 'update',
): Record<string, JsonValue> {
  if (!isCustomizable(type)) {
    if (Object.keys(input).length > 0)
      throw invalidField('customFields', `a ${type} has no custom fields`);
    return {};
  }
  return normaliseCustomFields(
    context.customFields.filter((d) => d.objectType === type),
    input,
    mode,
  );
}

function requireStage(context: DecisionContext, pipelineId: JsonValue, stageId: string): Stage {
  const pipeline = context.pipeline;
  if (!pipeline || pipeline.id !== pipelineId)
    throw new DomainError(
      'invalid',
      'deal.unknown_pipeline',
      `pipeline ${typeof pipelineId === 'string' ? pipelineId : '?'} not found`,
      {
        field: 'pipelineId',
      },
    );
  const stage = pipeline.stages.find((s) => s.id === stageId);
  if (!stage)
    throw new DomainError(
      'invalid',
      'deal.unknown_stage',
      `stage "${stageId}" is not a stage of pipeline ${pipeline.id}`,
      { field: 'stageId', stages: pipeline.stages.map((s) => s.id) },
    );
  return stage;
}

function closeReasonFor(kind: StageKind, reason: JsonValue | undefined): string | undefined {
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (kind === 'open') {
    if (text.length > 0)
      throw invalidField('closeReason', 'only a deal moved to a won or lost stage has one');
    return undefined;
  }
  if (text.length === 0)
    throw new DomainError(
      'invalid',
      'deal.close_reason_required',
      `closing a deal (${kind}) needs a closeReason`,
      { field: 'closeReason' },
    );
  if (text.length > 1000) throw invalidField('closeReason', 'at most 1000 characters');
  return text;
}

/** Defaults and cross-field rules of a new record. */
function completeNewRecord(
  type: AggregateType,
  fields: Record<string, JsonValue>,
  context: DecisionContext,
): Record<string, JsonValue> {
  const out = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null));
  switch (type) {
    case 'contact':
      if (!['email', 'phone', 'firstName', 'lastName'].some((f) => out[f] !== undefined))
        throw new DomainError(
          'invalid',
          'contact.identity_required',
          'a contact needs an email, a phone or a name',
        );
      break;
    case 'deal': {
      if (out.pipelineId === undefined) break; // reported as missing below
      const firstOpen = context.pipeline?.stages.find((s) => s.kind === 'open');
      const stageId = typeof out.stageId === 'string' ? out.stageId : (firstOpen?.id ?? '');
      const stage = requireStage(context, out.pipelineId, stageId);
      out.stageId = stage.id;
      out.stageKind = stage.kind;
      const reason = closeReasonFor(stage.kind, out.closeReason);
      if (reason === undefined) delete out.closeReason;
      else {
        out.closeReason = reason;
        out.closedAt = context.now;
      }
      out.stageEnteredAt = context.now;
      if (out.amount !== undefined && out.currency === undefined)
        throw invalidField('currency', 'required with an amount');
      break;
    }
    case 'activity':
      out.occurredAt ??= context.now;
      break;
    case 'task':
      out.status = 'open';
      out.priority ??= 'normal';
      break;
    case 'ticket': {
      out.status = 'open';
      out.priority ??= 'normal';
      const hours = TICKET_SLA_HOURS[out.priority as TicketPriority];
      out.slaDueAt ??= new Date(Date.parse(context.now) + hours * 3_600_000).toISOString();
      break;
    }
    case 'owner':
      out.active ??= true;
      break;
    case 'company':
    case 'pipeline':
      break;
  }
  for (const name of REQUIRED[type])
    if (out[name] === undefined) throw invalidField(name, 'required');
  return out;
}

export function decide(
  state: RecordState,
  command: RecordCommand,
  context: DecisionContext,
): RecordEvent[] {
  const { origin } = command;
  switch (command.kind) {
    case 'create': {
      if (state.version > 0)
        throw new DomainError('conflict', 'crm.already_exists', `${state.type} ${state.id} exists`);
      const fields = completeNewRecord(
        state.type,
        normaliseInputFields(state.type, command.fields, 'create'),
        context,
      );
      const customFields = Object.fromEntries(
        Object.entries(customFieldsFor(state.type, context, command.customFields, 'create')).filter(
          ([, v]) => v !== null,
        ),
      );
      return [{ type: 'created', payload: { fields, customFields, origin } }];
    }
    case 'update': {
      mustBeLive(state);
      const input = normaliseInputFields(state.type, command.fields, 'update');
      const fields: Record<string, JsonValue> = {};
      for (const [name, value] of Object.entries(input)) {
        if (sameJson(state.fields[name], value)) continue;
        if (value === null && REQUIRED[state.type].includes(name))
          throw invalidField(name, 'required: it cannot be cleared');
        fields[name] = value;
      }
      if (state.type === 'deal' && fields.amount !== undefined && fields.amount !== null)
        if ((fields.currency ?? state.fields.currency ?? null) === null)
          throw invalidField('currency', 'required with an amount');
      const customInput = customFieldsFor(state.type, context, command.customFields, 'update');
      const customFields: Record<string, JsonValue> = {};
      for (const [key, value] of Object.entries(customInput))
        if (!sameJson(state.customFields[key], value)) customFields[key] = value;
      if (Object.keys(fields).length === 0 && Object.keys(customFields).length === 0) return [];
      return [{ type: 'updated', payload: { fields, customFields, origin } }];
    }
    case 'archive':
      if (state.version === 0) throw notFound(state);
      return state.archived ? [] : [{ type: 'archived', payload: { origin } }];
    case 'restore':
      if (state.version === 0) throw notFound(state);
      return state.archived ? [{ type: 'restored', payload: { origin } }] : [];
    case 'move_stage': {
      if (state.type !== 'deal') throw wrongType(state, command.kind);
      mustBeLive(state);
      const stage = requireStage(context, state.fields.pipelineId ?? null, command.toStageId);
      // Already there (a retried request, a re-sent import): nothing to decide.
      if (stage.id === state.fields.stageId) return [];
      const reason = closeReasonFor(stage.kind, command.closeReason);
      return [
        {
          type: 'stage_changed',
          payload: {
            fromStageId: state.fields.stageId ?? null,
            toStageId: stage.id,
            stageKind: stage.kind,
            ...(reason === undefined ? {} : { closeReason: reason }),
            origin,
          },
        },
      ];
    }
    case 'complete_task':
    case 'reopen_task': {
      if (state.type !== 'task') throw wrongType(state, command.kind);
      mustBeLive(state);
      const completing = command.kind === 'complete_task';
      // Completing a completed task (a retried request) changes nothing.
      if ((state.fields.status === 'completed') === completing) return [];
      return [{ type: completing ? 'completed' : 'reopened', payload: { origin } }];
    }
    case 'change_ticket_status': {
      if (state.type !== 'ticket') throw wrongType(state, command.kind);
      mustBeLive(state);
      const from = (state.fields.status ?? 'open') as TicketStatus;
      if (from === command.to) return [];
      const allowed = TICKET_TRANSITIONS[from];
      if (!allowed.includes(command.to))
        throw new DomainError(
          'conflict',
          'ticket.transition_not_allowed',
          `a ${from} ticket cannot become ${command.to}`,
          { from, to: command.to, allowed },
        );
      return [{ type: 'status_changed', payload: { from, to: command.to, origin } }];
    }
  }
}

function objectOf(value: JsonValue | undefined): Readonly<Record<string, JsonValue>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Readonly<Record<string, JsonValue>>)
    : {};
}

function applyChanges(
  current: Readonly<Record<string, JsonValue>>,
  changes: Readonly<Record<string, JsonValue>>,
): Record<string, JsonValue> {
  const next: Record<string, JsonValue> = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/** Folds one stored event into the state; `occurredAt` is the event's time. */
export function evolve(state: RecordState, event: RecordEvent, occurredAt: string): RecordState {
  const base = { ...state, version: state.version + 1, updatedAt: occurredAt };
  const payload = event.payload;
  switch (event.type) {
    case 'created':
      return {
        ...base,
        fields: applyChanges({}, objectOf(payload.fields)),
        customFields: applyChanges({}, objectOf(payload.customFields)),
        archived: false,
        createdAt: occurredAt,
      };
    case 'updated':
      return {
        ...base,
        fields: applyChanges(state.fields, objectOf(payload.fields)),
        customFields: applyChanges(state.customFields, objectOf(payload.customFields)),
      };
    case 'archived':
      return { ...base, archived: true };
    case 'restored':
      return { ...base, archived: false };
    case 'stage_changed': {
      const kind = payload.stageKind as StageKind;
      const closed = kind !== 'open';
      return {
        ...base,
        fields: applyChanges(state.fields, {
          stageId: payload.toStageId ?? null,
          stageKind: kind,
          closeReason: closed ? (payload.closeReason ?? null) : null,
          closedAt: closed ? occurredAt : null,
          stageEnteredAt: occurredAt,
        }),
      };
    }
    case 'completed':
      return {
        ...base,
        fields: applyChanges(state.fields, { status: 'completed', completedAt: occurredAt }),
      };
    case 'reopened':
      return { ...base, fields: applyChanges(state.fields, { status: 'open', completedAt: null }) };
    case 'status_changed': {
      const to = payload.to as TicketStatus;
      return {
        ...base,
        fields: applyChanges(state.fields, {
          status: to,
          solvedAt:
            to === 'solved' ? occurredAt : to === 'closed' ? (state.fields.solvedAt ?? null) : null,
          closedAt: to === 'closed' ? occurredAt : null,
        }),
      };
    }
  }
}

/** The state after a sequence of stored events. */
export function replay(
  type: AggregateType,
  id: string,
  events: readonly (RecordEvent & { readonly occurredAt: string })[],
): RecordState {
  return events.reduce(
    (state, event) => evolve(state, event, event.occurredAt),
    emptyState(type, id),
  );
}
