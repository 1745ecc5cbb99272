/**
 * The CRM's aggregate types and the fields each one carries. One table drives validation
 * (decide), the read-model columns (projection), filters and sorting (queries), so a field is
 * declared once.
 */

export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

export const AGGREGATE_TYPES = [
  'contact',
  'company',
  'deal',
  'pipeline',
  'activity',
  'task',
  'ticket',
  'owner',
] as const;
export type AggregateType = (typeof AGGREGATE_TYPES)[number];

/** Types that accept custom fields (pipelines and owners are configuration, not records). */
export const CUSTOMIZABLE_TYPES = [
  'contact',
  'company',
  'deal',
  'activity',
  'task',
  'ticket',
] as const satisfies readonly AggregateType[];
export type CustomizableType = (typeof CUSTOMIZABLE_TYPES)[number];

export function isCustomizable(type: AggregateType): type is CustomizableType {
  return (CUSTOMIZABLE_TYPES as readonly string[]).includes(type);
}

/** How a field's value is validated and normalised, and which column type holds it. */
export type FieldKind =
  | { readonly kind: 'text'; readonly max: number }
  | { readonly kind: 'email' }
  | { readonly kind: 'phone' }
  | { readonly kind: 'domain' }
  | { readonly kind: 'number'; readonly min?: number }
  | { readonly kind: 'integer'; readonly min?: number }
  | { readonly kind: 'currency_code' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'date' }
  | { readonly kind: 'datetime' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'ref'; readonly target: AggregateType }
  | { readonly kind: 'refs'; readonly target: AggregateType }
  | { readonly kind: 'datetimes' }
  | { readonly kind: 'targets' }
  | { readonly kind: 'stages' };

/**
 * - `input`: set by create and update;
 * - `create`: set by create only, changed through an explicit command (deal stage, ticket status);
 * - `system`: derived by the aggregate (close date, completion), never set by a caller.
 */
export type FieldWrite = 'input' | 'create' | 'system';

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldKind;
  readonly write: FieldWrite;
  /** Included in the full-text search document. */
  readonly searchable?: boolean;
}

export const LIFECYCLE_STAGES = [
  'subscriber',
  'lead',
  'marketing_qualified',
  'sales_qualified',
  'opportunity',
  'customer',
  'evangelist',
  'other',
] as const;
export const ACTIVITY_KINDS = ['note', 'call', 'email', 'meeting'] as const;
export const TASK_STATUSES = ['open', 'completed'] as const;
export const TASK_PRIORITIES = ['low', 'normal', 'high'] as const;
export const TICKET_STATUSES = ['open', 'pending', 'on_hold', 'solved', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];
export const STAGE_KINDS = ['open', 'won', 'lost'] as const;
export type StageKind = (typeof STAGE_KINDS)[number];

const text = (max = 500): FieldKind => ({ kind: 'text', max });
const NOTES = 20_000;

function field(
  name: string,
  type: FieldKind,
  write: FieldWrite = 'input',
  searchable = false,
): FieldSpec {
  return searchable ? { name, type, write, searchable } : { name, type, write };
}

/** Field names follow docs/integration-contracts.md (they are the published `fields` keys). */
export const FIELD_SPECS: Readonly<Record<AggregateType, readonly FieldSpec[]>> = {
  contact: [
    field('email', { kind: 'email' }, 'input', true),
    field('phone', { kind: 'phone' }, 'input', true),
    field('firstName', text(200), 'input', true),
    field('lastName', text(200), 'input', true),
    field('title', text(200)),
    field('companyId', { kind: 'ref', target: 'company' }),
    field('ownerId', { kind: 'ref', target: 'owner' }),
    field('lifecycleStage', { kind: 'enum', values: LIFECYCLE_STAGES }),
    field('externalId', text(200)),
    field('notes', text(NOTES), 'input', true),
  ],
  company: [
    field('name', text(300), 'input', true),
    field('domain', { kind: 'domain' }, 'input', true),
    field('industry', text(200)),
    field('employees', { kind: 'integer', min: 0 }),
    field('annualRevenue', { kind: 'number', min: 0 }),
    field('ownerId', { kind: 'ref', target: 'owner' }),
    field('externalId', text(200)),
    field('notes', text(NOTES), 'input', true),
  ],
  deal: [
    field('name', text(300), 'input', true),
    field('amount', { kind: 'number', min: 0 }),
    field('currency', { kind: 'currency_code' }),
    field('pipelineId', { kind: 'ref', target: 'pipeline' }, 'create'),
    field('stageId', text(100), 'create'),
    field('ownerId', { kind: 'ref', target: 'owner' }),
    field('companyId', { kind: 'ref', target: 'company' }),
    field('contactIds', { kind: 'refs', target: 'contact' }),
    field('expectedCloseDate', { kind: 'date' }),
    field('externalId', text(200)),
    field('notes', text(NOTES), 'input', true),
    // Derived by stage moves (see deal-rules.ts).
    field('stageKind', { kind: 'enum', values: STAGE_KINDS }, 'system'),
    field('closeReason', text(1000), 'create'),
    field('closedAt', { kind: 'datetime' }, 'system'),
    field('stageEnteredAt', { kind: 'datetime' }, 'system'),
  ],
  pipeline: [
    field('name', text(200), 'input', true),
    field('stages', { kind: 'stages' }),
    field('externalId', text(200)),
  ],
  activity: [
    field('kind', { kind: 'enum', values: ACTIVITY_KINDS }, 'create'),
    field('subject', text(500), 'input', true),
    field('body', text(NOTES), 'input', true),
    field('occurredAt', { kind: 'datetime' }),
    field('durationMinutes', { kind: 'integer', min: 0 }),
    field('ownerId', { kind: 'ref', target: 'owner' }),
    field('targets', { kind: 'targets' }),
    field('externalId', text(200)),
  ],
  task: [
    field('title', text(500), 'input', true),
    field('notes', text(NOTES), 'input', true),
    field('dueAt', { kind: 'datetime' }),
    field('reminders', { kind: 'datetimes' }),
    field('assigneeId', { kind: 'ref', target: 'owner' }),
    field('priority', { kind: 'enum', values: TASK_PRIORITIES }),
    field('contactId', { kind: 'ref', target: 'contact' }),
    field('companyId', { kind: 'ref', target: 'company' }),
    field('dealId', { kind: 'ref', target: 'deal' }),
    field('ticketId', { kind: 'ref', target: 'ticket' }),
    field('externalId', text(200)),
    field('status', { kind: 'enum', values: TASK_STATUSES }, 'system'),
    field('completedAt', { kind: 'datetime' }, 'system'),
  ],
  ticket: [
    field('subject', text(500), 'input', true),
    field('notes', text(NOTES), 'input', true),
    field('status', { kind: 'enum', values: TICKET_STATUSES }, 'system'),
    field('priority', { kind: 'enum', values: TICKET_PRIORITIES }),
    field('contactId', { kind: 'ref', target: 'contact' }),
    field('companyId', { kind: 'ref', target: 'company' }),
    field('ownerId', { kind: 'ref', target: 'owner' }),
    field('slaDueAt', { kind: 'datetime' }),
    field('externalId', text(200)),
    field('solvedAt', { kind: 'datetime' }, 'system'),
    field('closedAt', { kind: 'datetime' }, 'system'),
  ],
  owner: [
    field('name', text(200), 'input', true),
    field('email', { kind: 'email' }, 'input', true),
    field('active', { kind: 'boolean' }),
    field('externalId', text(200)),
  ],
};

/** Id prefix per type: an id says what it names (`con_…`), which makes refs checkable. */
export const ID_PREFIX: Readonly<Record<AggregateType, string>> = {
  contact: 'con',
  company: 'com',
  deal: 'deal',
  pipeline: 'pipe',
  activity: 'act',
  task: 'task',
  ticket: 'tkt',
  owner: 'own',
};

/** The REST collection of each type (`/v1/crm/<collection>`). */
export const COLLECTION: Readonly<Record<AggregateType, string>> = {
  contact: 'contacts',
  company: 'companies',
  deal: 'deals',
  pipeline: 'pipelines',
  activity: 'activities',
  task: 'tasks',
  ticket: 'tickets',
  owner: 'owners',
};

export function fieldSpec(type: AggregateType, name: string): FieldSpec | undefined {
  return FIELD_SPECS[type].find((f) => f.name === name);
}

export function isAggregateType(value: string): value is AggregateType {
  return (AGGREGATE_TYPES as readonly string[]).includes(value);
}
