import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { openPostgres } from '@cdp/persistence';
import { dropTestDatabase, missingDatabaseUrl, uniqueName } from '@cdp/testing';
import { inboxMigration } from '@cdp/runtime';
import { type IdentityEventInput } from '../../src/resolution/domain/extract-observation';
import { IdentityConfig } from '../../src/resolution/domain/identity-config';
import { InMemoryIdentityGraph } from '../../src/resolution/application/in-memory-identity-graph';
import { ResolveEventUseCase } from '../../src/resolution/application/resolve-event.use-case';
import { ResolveObservationUseCase } from '../../src/resolution/application/resolve-observation.use-case';
import { ResolveEventBatchUseCase } from '../../src/resolution/application/resolve-event-batch.use-case';
import { GraphChangedError } from '../../src/resolution/application/graph-changed.error';
import { PostgresIdentityGraph } from '../../src/resolution/infrastructure/postgres-identity-graph';
import { IDENTITY_MIGRATIONS } from '../../src/resolution/infrastructure/identity-migrations';
import {
  DefaultSourceKindLookup,
  RandomIdGenerator,
} from '../../src/resolution/infrastructure/default-identity-settings';

const WORKERS = 4;
const EVENTS_PER_WORKER = 500;
const IN_FLIGHT_PER_WORKER = 4;
const WS = 'ws_parallel';

const database = uniqueName('identity_par');
const url = missingDatabaseUrl(database);
const sources: DataSource[] = [];

before(async () => {
  for (let i = 0; i < WORKERS; i++)
    sources.push(
      await openPostgres({
        url,
        schema: 'identity',
        entities: [],
        migrations: [inboxMigration('identity', 1763900000000), ...IDENTITY_MIGRATIONS] as never,
        poolSize: IN_FLIGHT_PER_WORKER,
      }),
    );
});

after(async () => {
  for (const s of sources) await s.destroy();
  await dropTestDatabase(database);
});

/** A seeded PRNG so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Person {
  readonly userId: string;
  readonly email: string;
  readonly anonymousIds: readonly string[];
}

/** Events of 200 people from a trusted (server) source: every person's ids, in random subsets. */
function history(seed: number, count: number, workspaceId = WS): IdentityEventInput[] {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const people: Person[] = Array.from({ length: 200 }, (_, p) => ({
    userId: `u${p}`,
    email: `p${p}@example.com`,
    anonymousIds: Array.from({ length: 1 + Math.floor(random() * 4) }, (_, a) => `a${p}-${a}`),
  }));
  const events: IdentityEventInput[] = [];
  for (let i = 0; i < count; i++) {
    const person = pick(people);
    const anonymousId = pick(person.anonymousIds);
    const shape = random();
    const base = {
      messageId: `m${seed}-${i}`,
      workspaceId,
      sourceId: 'src_backend',
      timestamp: new Date(Date.UTC(2025, 0, 1) + Math.floor(random() * 1e9)).toISOString(),
    };
    if (shape < 0.4) events.push({ ...base, type: 'page', anonymousId });
    else if (shape < 0.6)
      events.push({ ...base, type: 'track', anonymousId, userId: person.userId });
    else if (shape < 0.8)
      events.push({ ...base, type: 'identify', anonymousId, traits: { email: person.email } });
    else
      events.push({
        ...base,
        type: 'identify',
        userId: person.userId,
        traits: { email: person.email },
      });
  }
  return events;
}

/** Ground truth: connected components of the identifiers seen together. */
function expectedComponents(events: readonly IdentityEventInput[]): string[][] {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let r = k;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(k, r);
    return r;
  };
  for (const e of events) {
    const keys = [
      e.userId !== undefined ? `user_id:${e.userId}` : undefined,
      e.anonymousId !== undefined ? `anonymous_id:${e.anonymousId}` : undefined,
      typeof e.traits?.email === 'string' ? `email:${e.traits.email}` : undefined,
    ].filter((k): k is string => k !== undefined);
    for (const k of keys) if (!parent.has(k)) parent.set(k, k);
    for (const k of keys.slice(1)) parent.set(find(k), find(keys[0]!));
  }
  const groups = new Map<string, string[]>();
  for (const k of parent.keys()) groups.set(find(k), [...(groups.get(find(k)) ?? []), k]);
  return [...groups.values()]
    .map((g) => g.sort())
    .sort((a, b) => (a.join('|') < b.join('|') ? -1 : 1));
}

test(`${WORKERS} workers × ${EVENTS_PER_WORKER} overlapping events resolve to the connected components`, async () => {
  const config = IdentityConfig.from({});
  const configs = { configFor: () => Promise.resolve(config) };
  const kinds = new DefaultSourceKindLookup({ src_backend: 'server' });
  const events = history(42, WORKERS * EVENTS_PER_WORKER);
  // Every worker (its own pool, like a pod) takes a random quarter: the same person's events
  // are resolved by several workers at once.
  const queues: IdentityEventInput[][] = Array.from({ length: WORKERS }, () => []);
  const random = prng(7);
  for (const e of events) queues[Math.floor(random() * WORKERS)]!.push(e);

  let redeliveries = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    queues.map(async (queue, w) => {
      const graph = new PostgresIdentityGraph(sources[w]!);
      const useCase = new ResolveEventUseCase(
        configs,
        kinds,
        new ResolveObservationUseCase(graph, configs, new RandomIdGenerator()),
      );
      let next = 0;
      const lane = async () => {
        while (next < queue.length) {
          const event = queue[next++]!;
          // The consumer would nak and get it redelivered: same here.
          for (;;) {
            try {
              await useCase.execute({ event });
              break;
            } catch (error) {
              if (!(error instanceof GraphChangedError)) throw error;
              redeliveries++;
            }
          }
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT_PER_WORKER }, lane));
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `# resolved ${events.length} events in ${seconds.toFixed(2)} s ` +
      `(${Math.round(events.length / seconds)} events/s, ${WORKERS}×${IN_FLIGHT_PER_WORKER} in flight, ` +
      `${redeliveries} re-deliveries after 5 re-plans)`,
  );

  const graph = new PostgresIdentityGraph(sources[0]!);
  const expected = expectedComponents(events);
  assert.deepEqual(await graph.components(WS), expected);

  // The in-memory reference agrees, sequentially.
  const reference = new InMemoryIdentityGraph();
  const sequential = new ResolveEventUseCase(
    configs,
    kinds,
    new ResolveObservationUseCase(reference, configs, new RandomIdGenerator()),
  );
  for (const event of events) await sequential.execute({ event });
  assert.deepEqual(reference.components(WS), expected);

  // Every identifier on exactly one live profile; no live profile without identifiers.
  const db = sources[0]!;
  const [orphans] = await db.query<{ on_merged: number; empty: number; dangling: number }[]>(
    `SELECT
       (SELECT count(*) FROM identity.identifiers i JOIN identity.profiles p
          ON p.workspace_id = i.workspace_id AND p.id = i.profile_id
        WHERE i.workspace_id = $1 AND p.merged_into IS NOT NULL)::int AS on_merged,
       (SELECT count(*) FROM identity.profiles p WHERE p.workspace_id = $1 AND merged_into IS NULL
          AND NOT EXISTS (SELECT 1 FROM identity.identifiers i
            WHERE i.workspace_id = p.workspace_id AND i.profile_id = p.id))::int AS empty,
       (SELECT count(*) FROM identity.profiles p WHERE p.workspace_id = $1
          AND merged_into IS NOT NULL AND NOT EXISTS (SELECT 1 FROM identity.profiles s
            WHERE s.workspace_id = p.workspace_id AND s.id = p.merged_into
              AND s.merged_into IS NULL))::int AS dangling`,
    [WS],
  );
  assert.deepEqual(orphans, { on_merged: 0, empty: 0, dangling: 0 });

  // Every merge is in the ledger, and its merged ids redirect to a live profile.
  const [ledger] = await db.query<{ merges: number; merged: number }[]>(
    `SELECT count(*)::int AS merges, (SELECT count(*)::int FROM identity.profiles
       WHERE workspace_id = $1 AND merged_into IS NOT NULL) AS merged
     FROM identity.merge_ledger WHERE workspace_id = $1`,
    [WS],
  );
  assert.ok(ledger && ledger.merges > 0 && ledger.merged >= ledger.merges);

  // Redelivering everything changes nothing.
  const versions = await db.query<unknown[]>(
    'SELECT id, version FROM identity.profiles WHERE workspace_id = $1 ORDER BY id',
    [WS],
  );
  const again = new ResolveEventUseCase(
    configs,
    kinds,
    new ResolveObservationUseCase(new PostgresIdentityGraph(db), configs, new RandomIdGenerator()),
  );
  for (const event of events.slice(0, 300)) {
    const result = await again.execute({ event });
    assert.equal(result.outcome, 'unchanged');
  }
  assert.deepEqual(
    await db.query(
      'SELECT id, version FROM identity.profiles WHERE workspace_id = $1 ORDER BY id',
      [WS],
    ),
    versions,
  );
});

const BATCH_WS = 'ws_parallel_batches';
const CHUNK = 60;

test(`${WORKERS} workers resolving overlapping micro-batches of ${CHUNK} events give the connected components`, async () => {
  const config = IdentityConfig.from({});
  const configs = { configFor: () => Promise.resolve(config) };
  const kinds = new DefaultSourceKindLookup({ src_backend: 'server' });
  const events = history(43, WORKERS * EVENTS_PER_WORKER * 2, BATCH_WS);
  const queues: IdentityEventInput[][] = Array.from({ length: WORKERS }, () => []);
  const random = prng(8);
  for (const e of events) queues[Math.floor(random() * WORKERS)]!.push(e);

  let replans = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    queues.map(async (queue, w) => {
      const useCase = new ResolveEventBatchUseCase(
        new PostgresIdentityGraph(sources[w]!),
        configs,
        kinds,
        new RandomIdGenerator(),
      );
      let next = 0;
      const lane = async () => {
        while (next < queue.length) {
          const chunk = queue.slice(next, next + CHUNK);
          next += CHUNK;
          for (;;) {
            try {
              const result = await useCase.execute({ workspaceId: BATCH_WS, events: chunk });
              replans += result.attempts - 1;
              break;
            } catch (error) {
              if (!(error instanceof GraphChangedError)) throw error;
              replans += 5;
            }
          }
        }
      };
      await Promise.all(Array.from({ length: 2 }, lane));
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `# batches: resolved ${events.length} events in ${seconds.toFixed(2)} s ` +
      `(${Math.round(events.length / seconds)} events/s, ${WORKERS}×2 batches of ${CHUNK} in flight, ` +
      `${replans} re-plans)`,
  );

  const db = sources[0]!;
  const expected = expectedComponents(events);
  assert.deepEqual(await new PostgresIdentityGraph(db).components(BATCH_WS), expected);

  const [orphans] = await db.query<{ on_merged: number; empty: number; dangling: number }[]>(
    `SELECT
       (SELECT count(*) FROM identity.identifiers i JOIN identity.profiles p
          ON p.workspace_id = i.workspace_id AND p.id = i.profile_id
        WHERE i.workspace_id = $1 AND p.merged_into IS NOT NULL)::int AS on_merged,
       (SELECT count(*) FROM identity.profiles p WHERE p.workspace_id = $1 AND merged_into IS NULL
          AND NOT EXISTS (SELECT 1 FROM identity.identifiers i
            WHERE i.workspace_id = p.workspace_id AND i.profile_id = p.id))::int AS empty,
       (SELECT count(*) FROM identity.profiles p WHERE p.workspace_id = $1
          AND merged_into IS NOT NULL AND NOT EXISTS (SELECT 1 FROM identity.profiles s
            WHERE s.workspace_id = p.workspace_id AND s.id = p.merged_into
              AND s.merged_into IS NULL))::int AS dangling`,
    [BATCH_WS],
  );
  assert.deepEqual(orphans, { on_merged: 0, empty: 0, dangling: 0 });
  // Every merged profile is named by exactly one ledger entry.
  const [ledger] = await db.query<{ merges: number; named: number; merged: number }[]>(
    `SELECT count(*)::int AS merges, coalesce(sum(cardinality(merged_ids)), 0)::int AS named,
       (SELECT count(*)::int FROM identity.profiles
        WHERE workspace_id = $1 AND merged_into IS NOT NULL) AS merged
     FROM identity.merge_ledger WHERE workspace_id = $1`,
    [BATCH_WS],
  );
  assert.ok(ledger && ledger.merges > 0);
  assert.equal(ledger.named, ledger.merged);

  // Every identifier's first-seen evidence is the oldest event that carried it.
  const oldest = new Map<string, string>();
  for (const e of events)
    for (const key of [
      e.userId !== undefined ? `user_id:${e.userId}` : undefined,
      e.anonymousId !== undefined ? `anonymous_id:${e.anonymousId}` : undefined,
      typeof e.traits?.email === 'string' ? `email:${e.traits.email}` : undefined,
    ])
      if (key !== undefined && (oldest.get(key) ?? '9999') > e.timestamp)
        oldest.set(key, e.timestamp);
  const firstSeen = await db.query<{ key: string; at: Date }[]>(
    `SELECT type || ':' || value AS key, first_seen_at AS at FROM identity.identifiers
     WHERE workspace_id = $1`,
    [BATCH_WS],
  );
  for (const row of firstSeen) assert.equal(row.at.toISOString(), oldest.get(row.key), row.key);

  // The outbox holds one identity_map change per identifier that got or changed a profile.
  const [mapped] = await db.query<{ n: number }[]>(
    `SELECT count(DISTINCT c->>'type' || ':' || (c->>'value'))::int AS n
     FROM identity.outbox, jsonb_array_elements(payload) AS c
     WHERE workspace_id = $1 AND kind = 'identity_map'`,
    [BATCH_WS],
  );
  assert.equal(mapped?.n, firstSeen.length);

  // Replaying the whole history in batches changes nothing.
  const versions = await db.query<unknown[]>(
    'SELECT id, version FROM identity.profiles WHERE workspace_id = $1 ORDER BY id',
    [BATCH_WS],
  );
  const again = new ResolveEventBatchUseCase(
    new PostgresIdentityGraph(db),
    configs,
    kinds,
    new RandomIdGenerator(),
  );
  for (let i = 0; i < events.length; i += 500) {
    const { results, changes } = await again.execute({
      workspaceId: BATCH_WS,
      events: events.slice(i, i + 500),
    });
    assert.ok(results.every((r) => r.outcome === 'unchanged'));
    assert.equal(changes.newIdentifiers.length + changes.merges.length, 0);
  }
  assert.deepEqual(
    await db.query(
      'SELECT id, version FROM identity.profiles WHERE workspace_id = $1 ORDER BY id',
      [BATCH_WS],
    ),
    versions,
  );
});
