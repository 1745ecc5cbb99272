// Bulk seeding of the CRM through its own domain code: every contact and deal is a `create`
// command decided by the aggregate (crm-record.ts), its event appended to crm.events and its
// read-model row (read-model-schema.ts) and stage history written with multi-row INSERTs.
// That is the same data the command path writes, minus the per-command round trips and the
// outbox (seeded history is not re-published to JetStream).
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const dist = join(import.meta.dirname, '../../services/crm/dist/src/records');
const { decide, evolve, emptyState } = require(join(dist, 'domain/crm-record.js'));
const { rowValues, columnsOf, COMMON_COLUMNS, tableOf } = require(
  join(dist, 'infrastructure/read-model-schema.js'),
);

const CHUNK = 5_000;
const COMMON_TYPES = ['text', 'text', 'integer', 'jsonb', 'boolean', 'timestamptz', 'timestamptz'];

/** A deterministic pseudo-random generator (same data for the same seed). */
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function hexId(prefix, n) {
  return `${prefix}_bench${String(n).padStart(8, '0')}`;
}

/** `INSERT … SELECT … FROM unnest(...)` of whole read-model rows, one array per column. */
async function insertRows(client, type, rows) {
  const columns = [...COMMON_COLUMNS, ...columnsOf(type).map((c) => c.column)];
  const types = [...COMMON_TYPES, ...columnsOf(type).map((c) => c.sqlType)];
  const select = types.map((t, i) => {
    const c = `c${i}`;
    if (t.endsWith('[]'))
      return `CASE WHEN ${c} IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(${c}::jsonb))::${t} END`;
    return `${c}::${t}`;
  });
  const params = columns.map((_c, i) =>
    rows.map((r) => {
      const v = r[i];
      if (v === null || v === undefined) return null;
      if (types[i].endsWith('[]')) return JSON.stringify(v);
      return String(v);
    }),
  );
  await client.query(
    `INSERT INTO ${tableOf(type)} (${columns.join(', ')})
     SELECT ${select.join(', ')} FROM unnest(${columns.map((_c, i) => `$${i + 1}::text[]`).join(', ')})
       AS u(${columns.map((_c, i) => `c${i}`).join(', ')})`,
    params,
  );
}

async function insertEvents(client, workspaceId, events) {
  await client.query(
    `INSERT INTO crm.events (workspace_id, aggregate_type, aggregate_id, version, type, payload, actor, occurred_at)
     SELECT $1, t, i, 1, 'created', p, a, o
     FROM unnest($2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::timestamptz[]) AS e(t, i, p, a, o)`,
    [
      workspaceId,
      events.map((e) => e.type),
      events.map((e) => e.id),
      events.map((e) => JSON.stringify(e.payload)),
      events.map((e) => JSON.stringify(e.actor)),
      events.map((e) => e.at),
    ],
  );
}

/**
 * Seeds `contacts` contacts and `deals` deals (each with one contact, an owner, an open stage).
 * Returns the ids and each deal's stage, for the command phase.
 */
export async function seed(client, { workspaceId, pipeline, ownerIds, contacts, deals }) {
  const random = rng(42);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const stages = [
    'customer',
    'lead',
    'marketing_qualified',
    'sales_qualified',
    'opportunity',
    'subscriber',
  ];
  const openStages = pipeline.stages.filter((s) => s.kind === 'open');
  const actor = { type: 'system', id: 'bench-seed', via: { channel: 'system' } };
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  const context = (at) => ({
    now: at,
    customFields: [],
    pipeline: { id: pipeline.id, stages: pipeline.stages },
  });
  const contactIds = [];
  const dealStages = new Map();

  async function run(type, count, makeFields, onState) {
    for (let base = 0; base < count; base += CHUNK) {
      const rows = [];
      const events = [];
      for (let n = base; n < Math.min(count, base + CHUNK); n++) {
        const id = hexId(type === 'contact' ? 'con' : 'deal', n);
        const at = new Date(start + n * 1000).toISOString();
        const [event] = decide(
          emptyState(type, id),
          { kind: 'create', fields: makeFields(n), customFields: {}, origin: 'import' },
          context(at),
        );
        const state = evolve(emptyState(type, id), event, at);
        rows.push(rowValues(workspaceId, state));
        events.push({ type, id, payload: event.payload, actor, at });
        onState(state);
      }
      await client.query('BEGIN');
      await insertEvents(client, workspaceId, events);
      await insertRows(client, type, rows);
      if (type === 'deal')
        await client.query(
          `INSERT INTO crm.deal_stage_history (workspace_id, deal_id, version, pipeline_id, from_stage_id, to_stage_id, stage_kind, entered_at)
           SELECT $1, d, 1, $2, NULL, s, 'open', a FROM unnest($3::text[], $4::text[], $5::timestamptz[]) AS h(d, s, a)`,
          [
            workspaceId,
            pipeline.id,
            events.map((e) => e.id),
            events.map((e) => dealStages.get(e.id)),
            events.map((e) => e.at),
          ],
        );
      await client.query('COMMIT');
    }
  }

  await run(
    'contact',
    contacts,
    (n) => ({
      email: `person${n}@bench.example`,
      firstName: `First${n % 997}`,
      lastName: `Last${Math.floor(random() * 50_000)}`,
      lifecycleStage: pick(stages),
      ownerId: pick(ownerIds),
      notes: n % 10 === 0 ? 'asked about a red convertible' : 'regular customer',
    }),
    (state) => contactIds.push(state.id),
  );
  await run(
    'deal',
    deals,
    (n) => ({
      name: `Deal ${n}`,
      amount: Math.round(random() * 100_000) / 100 + 100,
      currency: 'EUR',
      pipelineId: pipeline.id,
      stageId: pick(openStages).id,
      ownerId: pick(ownerIds),
      contactIds: [contactIds[n % contactIds.length]],
    }),
    (state) => dealStages.set(state.id, state.fields.stageId),
  );
  await client.query('ANALYZE');
  return { contactIds, dealStages };
}
