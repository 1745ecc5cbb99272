import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { SUBJECTS } from '@cdp/contracts';
import type { ClickHouseClient } from '@cdp/persistence';
import { startTestPlatform, type TestPlatform } from '@cdp/runtime';
import { segmentationService } from '../src/segmentation.service-definition';
import {
  createUpstreamTables,
  insertEvents,
  insertIdentityMap,
} from './support/clickhouse-fixtures';

interface Published {
  subject: string;
  body: { segmentId: string; mode: string; changes: { profileId: string; transition: string }[] };
}

let t: TestPlatform;
let clickhouse: ClickHouseClient;
const published: Published[] = [];
let sequence = 0;

async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function publish(subject: string, body: unknown, ws = t.tenant.workspaceId): Promise<void> {
  await t.platform.infrastructure.publisher.publish(subject, body, {
    messageId: `test-${++sequence}`,
    workspaceId: ws,
    schema: 'test',
  });
}

async function json<T>(response: Response): Promise<T> {
  const text = await response.text();
  assert.ok(response.status < 300, `${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function members(id: string, at?: string): Promise<string[]> {
  const body = await json<{ data: { profileId: string }[] }>(
    await t.api(`/v1/segments/${id}/members${at ? `?at=${encodeURIComponent(at)}` : ''}`),
  );
  return body.data.map((m) => m.profileId).sort();
}

void describe('segmentation service (real NATS, Postgres, embedded ClickHouse)', () => {
  before(async () => {
    t = await startTestPlatform([segmentationService], {
      label: 'segmentation',
      env: { SEGMENTATION_RECHECK_INTERVAL_MS: '200', SEGMENTATION_BATCH_INTERVAL_MS: '0' },
    });
    const ch = t.platform.infrastructure.clickhouse;
    if (!ch) throw new Error('no ClickHouse');
    clickhouse = ch;
    await createUpstreamTables(clickhouse);
    const nats = t.platform.infrastructure.nats;
    const prefix = `${t.namespace}.`;
    const sub = nats.subscribe(`${prefix}${SUBJECTS.membershipChanged}.>`);
    void (async () => {
      for await (const m of sub)
        published.push({ subject: m.subject.slice(prefix.length), body: m.json() });
    })();
    await nats.flush();
  });
  after(async () => {
    await t.close();
  });

  void it('rejects invalid definitions with a pointer to the offending node', async () => {
    const response = await t.api('/v1/segments', {
      method: 'POST',
      body: JSON.stringify({
        name: 'bad',
        definition: {
          condition: {
            type: 'and',
            conditions: [{ type: 'event', event: 'X', count: { operator: 'at_least', value: -1 } }],
          },
        },
      }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as {
      error: { code: string; details: { issues: { pointer: string }[] } };
    };
    assert.equal(body.error.code, 'segment.definition_invalid');
    assert.equal(body.error.details.issues[0]?.pointer, '/condition/conditions/0/count/value');
  });

  void it('batch on create, real-time entry on a qualifying event, merge moves membership, history answers ?at=', async () => {
    const ws = t.tenant.workspaceId;
    const now = Date.now();
    // History in ClickHouse: alice viewed bags twice; bob once.
    await insertIdentityMap(clickhouse, [
      { workspaceId: ws, type: 'user_id', value: 'alice', profileId: 'prof-alice', version: 1 },
      { workspaceId: ws, type: 'user_id', value: 'bob', profileId: 'prof-bob', version: 1 },
      {
        workspaceId: ws,
        type: 'anonymous_id',
        value: 'anon-1',
        profileId: 'prof-anon',
        version: 1,
      },
    ]);
    await insertEvents(clickhouse, [
      {
        workspaceId: ws,
        messageId: 'h1',
        type: 'track',
        event: 'Product Viewed',
        userId: 'alice',
        properties: { category: 'bags' },
        timestamp: now - 3_600_000,
      },
      {
        workspaceId: ws,
        messageId: 'h2',
        type: 'track',
        event: 'Product Viewed',
        userId: 'alice',
        properties: { category: 'bags' },
        timestamp: now - 7_200_000,
      },
      {
        workspaceId: ws,
        messageId: 'h3',
        type: 'track',
        event: 'Product Viewed',
        userId: 'bob',
        properties: { category: 'bags' },
        timestamp: now - 3_600_000,
      },
      {
        workspaceId: ws,
        messageId: 'h4',
        type: 'track',
        event: 'Product Viewed',
        anonymousId: 'anon-1',
        properties: { category: 'shoes' },
        timestamp: now - 3_600_000,
      },
    ]);
    // Traits and CRM through their contract messages.
    await publish(`${SUBJECTS.profileUpdated}.${ws}`, {
      profileId: 'prof-alice',
      version: '1',
      changes: [{ key: 'plan', operation: 'TRAIT_OPERATION_SET', value: 'pro' }],
    });
    await publish(`${SUBJECTS.profileUpdated}.${ws}`, {
      profileId: 'prof-bob',
      version: '1',
      changes: [{ key: 'plan', operation: 'TRAIT_OPERATION_SET', value: 'pro' }],
    });
    await eventually(async () => {
      const rows = await t.platform.infrastructure.services[0]?.postgres.query<unknown[]>(
        `SELECT 1 FROM segmentation.profiles WHERE workspace_id = $1 AND traits->>'plan' = 'pro'`,
        [ws],
      );
      return rows && rows.length === 2 ? true : undefined;
    });

    const definition = {
      condition: {
        type: 'and',
        conditions: [
          { type: 'trait', key: 'plan', operator: 'equals', value: 'pro' },
          {
            type: 'event',
            event: 'Product Viewed',
            where: [{ property: 'category', operator: 'equals', value: 'bags' }],
            count: { operator: 'at_least', value: 2 },
            window: { type: 'last', duration: '7d' },
          },
        ],
      },
    };
    const preview = await json<{ estimatedSize: number }>(
      await t.api('/v1/segments/preview', { method: 'POST', body: JSON.stringify({ definition }) }),
    );
    assert.equal(preview.estimatedSize, 1);
    const created = await json<{ id: string; version: number; evaluation: { members: number } }>(
      await t.api('/v1/segments', {
        method: 'POST',
        body: JSON.stringify({ name: 'bag lovers', definition }),
      }),
    );
    assert.equal(created.version, 1);
    assert.equal(created.evaluation.members, 1);
    assert.deepEqual(await members(created.id), ['prof-alice']);
    const beforeBob = new Date().toISOString();

    // Real time: bob views bags again → enters within a second.
    const started = Date.now();
    await publish(`${SUBJECTS.eventResolved}.${ws}.0`, {
      items: [
        {
          event: {
            type: 'track',
            messageId: 'rt1',
            userId: 'bob',
            event: 'Product Viewed',
            properties: { category: 'bags' },
            timestamp: new Date().toISOString(),
          },
          profileId: 'prof-bob',
        },
      ],
    });
    await eventually(async () =>
      (await members(created.id)).includes('prof-bob') ? true : undefined,
    );
    const entry = await eventually(() =>
      published.find(
        (p) =>
          p.body.segmentId === created.id &&
          p.body.mode === 'EVALUATION_MODE_REALTIME' &&
          p.body.changes.some((c) => c.profileId === 'prof-bob'),
      ),
    );
    assert.equal(entry.body.changes[0]?.transition, 'MEMBERSHIP_TRANSITION_ENTERED');
    assert.ok(Date.now() - started < 5000);
    // The same message again changes nothing (idempotent).
    await publish(`${SUBJECTS.eventResolved}.${ws}.0`, {
      items: [
        {
          event: {
            type: 'track',
            messageId: 'rt1',
            userId: 'bob',
            event: 'Product Viewed',
            properties: { category: 'bags' },
            timestamp: new Date().toISOString(),
          },
          profileId: 'prof-bob',
        },
      ],
    });

    // Merge: bob is folded into alice; bob exits, alice stays (re-evaluated with bob's hits).
    await publish(`${SUBJECTS.profileMerged}.${ws}`, {
      mergeId: 'mg1',
      survivingProfileId: 'prof-alice',
      mergedProfileIds: ['prof-bob'],
    });
    await eventually(async () =>
      (await members(created.id)).join() === 'prof-alice' ? true : undefined,
    );
    const exit = await eventually(() =>
      published.find((p) =>
        p.body.changes.some(
          (c) => c.profileId === 'prof-bob' && c.transition === 'MEMBERSHIP_TRANSITION_EXITED',
        ),
      ),
    );
    assert.equal(exit.body.segmentId, created.id);
    // Split (the merge was wrong): bob's events go back to bob, who re-enters.
    await publish(`${SUBJECTS.profileSplit}.${ws}`, {
      splitId: 'sp1',
      sourceProfileId: 'prof-alice',
      parts: [
        { profileId: 'prof-alice', identifiers: [{ type: 'user_id', value: 'alice' }] },
        { profileId: 'prof-bob', identifiers: [{ type: 'user_id', value: 'bob' }] },
      ],
      revertedMergeId: 'mg1',
    });
    await eventually(async () =>
      (await members(created.id)).join() === 'prof-alice,prof-bob' ? true : undefined,
    );
    // History: at beforeBob only alice; a moment after bob's entry both.
    assert.deepEqual(await members(created.id, beforeBob), ['prof-alice']);
    const export_ = await t.api(`/v1/segments/${created.id}/export`);
    assert.equal(export_.status, 200);
    assert.match(export_.headers.get('content-type') ?? '', /text\/csv/);
    const csv = await export_.text();
    assert.match(csv, /^profile_id,entered_at\nprof-alice,/);
  });

  void it('CRM facts through contact links: a deal in a stage brings the person in; cycles are rejected', async () => {
    const ws = t.tenant.workspaceId;
    const created = await json<{ id: string }>(
      await t.api('/v1/segments', {
        method: 'POST',
        body: JSON.stringify({
          name: 'won deals',
          definition: { condition: { type: 'deal', stageKind: 'won' } },
        }),
      }),
    );
    await publish(`${SUBJECTS.eventResolved}.${ws}.1`, {
      items: [
        {
          type: 'identify',
          messageId: 'crm-contact-c1-v1',
          userId: '',
          event: '',
          timestamp: new Date().toISOString(),
          context: { crm: { aggregateType: 'contact', aggregateId: 'c1' } },
          profileId: 'prof-carol',
        },
      ],
    });
    await publish(`cdp.crm.deal.created.v1.${ws}`, {
      aggregateType: 'deal',
      aggregateId: 'd1',
      aggregateVersion: '1',
      type: 'created',
      payload: { fields: { stageId: 's-neg', contactIds: ['c1'] }, origin: 'crm' },
    });
    await publish(`cdp.crm.deal.stage_changed.v1.${ws}`, {
      aggregateType: 'deal',
      aggregateId: 'd1',
      aggregateVersion: '2',
      type: 'stage_changed',
      payload: { fromStageId: 's-neg', toStageId: 's-won', stageKind: 'won', origin: 'crm' },
    });
    await eventually(async () =>
      (await members(created.id)).includes('prof-carol') ? true : undefined,
    );

    const parent = await json<{ id: string }>(
      await t.api('/v1/segments', {
        method: 'POST',
        body: JSON.stringify({
          name: 'wraps',
          definition: { condition: { type: 'segment', segmentId: created.id } },
        }),
      }),
    );
    assert.deepEqual(await members(parent.id), ['prof-carol']);
    const cyclic = await t.api(`/v1/segments/${created.id}`, {
      method: 'PATCH',
      body: JSON.stringify({
        definition: { condition: { type: 'segment', segmentId: parent.id } },
      }),
    });
    assert.equal(cyclic.status, 400);
    assert.equal(
      ((await cyclic.json()) as { error: { code: string } }).error.code,
      'segment.reference_cycle',
    );
    // Another workspace sees nothing of these.
    const other = await t.newTenant();
    assert.equal((await t.api(`/v1/segments/${created.id}`, { key: other.adminKey })).status, 404);
  });

  void it('profile updates (computed traits) move people in and out', async () => {
    const ws = t.tenant.workspaceId;
    const created = await json<{ id: string }>(
      await t.api('/v1/segments', {
        method: 'POST',
        body: JSON.stringify({
          name: 'high value',
          definition: {
            condition: { type: 'computed', trait: 'total_revenue', operator: 'gte', value: 200 },
          },
        }),
      }),
    );
    const update = (version: number, value: number | null) =>
      publish(`${SUBJECTS.profileUpdated}.${ws}`, {
        profileId: 'prof-erin',
        version: String(version),
        changes: [
          value === null
            ? { key: 'computed.total_revenue', operation: 'TRAIT_OPERATION_UNSET' }
            : { key: 'computed.total_revenue', operation: 'TRAIT_OPERATION_SET', value },
        ],
      });
    await update(2, 250);
    await eventually(async () =>
      (await members(created.id)).includes('prof-erin') ? true : undefined,
    );
    // Diffs applied out of order converge: a late older one (v1) changes nothing.
    await update(1, 50);
    const jsm = await jetstreamManager(t.platform.infrastructure.nats);
    const stream = t.platform.infrastructure.namespace.stream('PROFILE');
    await eventually(async () => {
      const info = await jsm.consumers.info(stream, 'segmentation-profile-updates');
      return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
    });
    assert.ok((await members(created.id)).includes('prof-erin'));
    await update(3, null);
    await eventually(async () =>
      (await members(created.id)).includes('prof-erin') ? undefined : true,
    );
  });

  void it('time windows expire members by scheduled re-check, without a batch', async () => {
    const ws = t.tenant.workspaceId;
    const created = await json<{ id: string }>(
      await t.api('/v1/segments', {
        method: 'POST',
        body: JSON.stringify({
          name: 'recent',
          definition: {
            condition: { type: 'event', event: 'Ping', window: { type: 'last', duration: '3s' } },
          },
        }),
      }),
    );
    await publish(`${SUBJECTS.eventResolved}.${ws}.2`, {
      items: [
        {
          type: 'track',
          messageId: 'ping1',
          userId: 'dave',
          event: 'Ping',
          timestamp: new Date().toISOString(),
          profileId: 'prof-dave',
        },
      ],
    });
    await eventually(async () =>
      (await members(created.id)).includes('prof-dave') ? true : undefined,
    );
    await eventually(
      async () => ((await members(created.id)).includes('prof-dave') ? undefined : true),
      10_000,
    );
  });
});
