import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptedEvent, startIdentity, type IdentityHarness } from '../support/harness';

let h: IdentityHarness;

before(async () => {
  h = await startIdentity();
  // The columns of ingestion's `events` table identity reads (the event writer owns the table,
  // services/ingestion/migrations/clickhouse/0001_events.sql; not running in this test).
  await h.clickhouse.command({
    query: `CREATE TABLE IF NOT EXISTS events (
      workspace_id LowCardinality(String),
      message_id String,
      received_at DateTime64(3, 'UTC'),
      raw String
    ) ENGINE = MergeTree ORDER BY (workspace_id, received_at, message_id)`,
  });
});
after(async () => {
  await h.close();
});

/** What ingestion does with an accepted batch: publish it, and the writer stores each event. */
async function accept(ws: string, items: (Record<string, unknown> & { messageId: string })[]) {
  await h.publishAccepted(ws, items);
  await h.clickhouse.insert({
    table: 'events',
    values: items.map((e) => ({
      workspace_id: ws,
      message_id: e.messageId,
      received_at: String(e['receivedAt']).replace('T', ' ').replace('Z', ''),
      raw: JSON.stringify(e),
    })),
    format: 'JSONEachRow',
  });
}

interface RebuildResult {
  equal: boolean;
  events: number;
  truncated: boolean;
  onlyLive: string[][];
  onlyRebuilt: string[][];
  swapped?: {
    profilesKept: number;
    profilesCreated: number;
    profilesRetired: number;
    identifiersMoved: number;
  };
}

async function rebuild(body: Record<string, unknown>): Promise<RebuildResult> {
  const response = await h.api('/v1/identity/rebuild', {
    method: 'POST',
    body: JSON.stringify({ source: 'clickhouse', ...body }),
  });
  assert.equal(response.status, 200);
  return (await response.json()) as RebuildResult;
}

async function profileOf(ws: string, type: string, value: string): Promise<string | undefined> {
  const rows = await h.postgres.query<{ profile_id: string }[]>(
    'SELECT profile_id FROM identity.identifiers WHERE workspace_id = $1 AND type = $2 AND value = $3',
    [ws, type, value],
  );
  return rows[0]?.profile_id;
}

test('rebuilt from the ClickHouse history equals the live graph; a swap replaces a graph that drifted', async () => {
  const ws = h.tenant.workspaceId;
  await accept(ws, [
    acceptedEvent(ws, { type: 'page', anonymousId: 'anon-a' }),
    acceptedEvent(ws, { type: 'identify', anonymousId: 'anon-a', traits: { email: 'a@x.io' } }),
    acceptedEvent(ws, { type: 'identify', anonymousId: 'anon-b', traits: { email: 'b@x.io' } }),
    acceptedEvent(ws, { type: 'track', anonymousId: 'anon-b', userId: 'u-b', event: 'Signed In' }),
  ]);
  await h.eventually(() => profileOf(ws, 'user_id', 'u-b'));
  const a = await profileOf(ws, 'email', 'a@x.io');

  const same = await rebuild({});
  assert.equal(same.equal, true, JSON.stringify(same));
  assert.equal(same.events, 4);
  assert.equal(same.truncated, false);
  assert.equal(same.swapped, undefined, 'nothing to swap');

  // The live graph drifts from its history: an API observation glues the two people together.
  const observed = await h.api('/v1/identity/observations', {
    method: 'POST',
    body: JSON.stringify({
      identifiers: [
        { type: 'email', value: 'a@x.io' },
        { type: 'email', value: 'b@x.io' },
      ],
    }),
  });
  assert.equal(observed.status, 200);
  assert.equal(await profileOf(ws, 'user_id', 'u-b'), a);
  const drifted = await rebuild({});
  assert.equal(drifted.equal, false);
  assert.equal(drifted.swapped, undefined, 'verification only without swap');

  // A truncated replay never swaps.
  const partial = await rebuild({ swap: true, maxEvents: 2 });
  assert.equal(partial.truncated, true);
  assert.equal(partial.swapped, undefined);

  const swapped = await rebuild({ swap: true });
  assert.equal(swapped.equal, false, 'it differed before the swap');
  assert.deepEqual(swapped.swapped, {
    profilesKept: 1,
    profilesCreated: 1,
    profilesRetired: 0,
    identifiersMoved: 3,
  });
  assert.equal(await profileOf(ws, 'email', 'a@x.io'), a, 'the oldest person keeps the id');
  const b = await profileOf(ws, 'user_id', 'u-b');
  assert.ok(b && b !== a);
  assert.equal(await profileOf(ws, 'email', 'b@x.io'), b);
  assert.equal(await profileOf(ws, 'anonymous_id', 'anon-b'), b);
  const after = await rebuild({});
  assert.equal(after.equal, true, 'rebuilt == live after the swap');

  // identity_map follows: the moved identifiers now name the new profile.
  await h.eventually(async () => {
    const result = await h.clickhouse.query({
      query: `SELECT argMax(profile_id, version) AS profile FROM identity_map
              WHERE workspace_id = {ws:String} AND identifier_type = 'user_id'
                AND identifier_value = 'u-b'`,
      query_params: { ws },
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ profile: string }>();
    return rows[0]?.profile === b ? true : undefined;
  });

  // New events resolve against the swapped graph.
  await accept(ws, [acceptedEvent(ws, { type: 'page', anonymousId: 'anon-b' })]);
  const [row] = await h.postgres.query<{ n: number }[]>(
    `SELECT count(DISTINCT profile_id)::int AS n FROM identity.identifiers WHERE workspace_id = $1`,
    [ws],
  );
  assert.equal(row?.n, 2);
});
