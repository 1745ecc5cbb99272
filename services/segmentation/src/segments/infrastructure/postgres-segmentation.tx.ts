import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { SUBJECTS, eventSubject } from '@cdp/contracts';
import { OPEN_TICKET_STATUSES, type DealStageKind, type JsonValue } from '../domain/definition';
import { type DealFact, type ProfileFacts } from '../domain/evaluate';
import { type MatcherKey } from '../domain/event-matcher';
import {
  type CrmChange,
  type EvaluationMode,
  type Hit,
  type IdentifierRef,
  type SegmentationTx,
  type TraitChange,
  type EvaluationState,
  type UnitOfWork,
} from '../application/ports';

export const MEMBERSHIP_CHANGED_SCHEMA = 'cdp.segmentation.v1.MembershipChanged';
/** Changes per MembershipChanged message (a batch evaluation splits into several). */
const CHANGES_PER_MESSAGE = 1000;

const OPEN_STATUSES = [...OPEN_TICKET_STATUSES];

type Row = Record<string, unknown>;

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export class PostgresUnitOfWork implements UnitOfWork {
  constructor(private readonly postgres: DataSource) {}
  run<T>(work: (tx: SegmentationTx) => Promise<T>): Promise<T> {
    return this.postgres.transaction((manager) => work(new PostgresSegmentationTx(manager)));
  }
}

/** SegmentationTx over one TypeORM transaction (every statement scoped by workspace). */
export class PostgresSegmentationTx implements SegmentationTx {
  constructor(private readonly db: EntityManager) {}

  private q<T = Row>(sql: string, params: unknown[]): Promise<T[]> {
    return this.db.query<T[]>(sql, params);
  }

  async ensureProfiles(ws: string, profileIds: readonly string[]): Promise<void> {
    if (profileIds.length === 0) return;
    await this.q(
      `INSERT INTO segmentation.profiles (workspace_id, profile_id)
       SELECT $1, unnest($2::text[]) ORDER BY 2 ON CONFLICT DO NOTHING`,
      [ws, [...new Set(profileIds)]],
    );
  }

  async canonicalProfiles(ws: string, profileIds: readonly string[]): Promise<Map<string, string>> {
    const result = new Map(profileIds.map((id) => [id, id]));
    let pending = [...new Set(profileIds)];
    // Merge chains are short; bounded so corrupt data cannot loop.
    for (let hop = 0; hop < 10 && pending.length > 0; hop++) {
      const rows = await this.q<{ profile_id: string; merged_into: string }>(
        `SELECT profile_id, merged_into FROM segmentation.profiles
         WHERE workspace_id = $1 AND profile_id = ANY($2) AND merged_into IS NOT NULL`,
        [ws, pending],
      );
      const next = new Map(rows.map((r) => [r.profile_id, r.merged_into]));
      for (const [original, current] of result) {
        const survivor = next.get(current);
        if (survivor !== undefined) result.set(original, survivor);
      }
      pending = [...next.values()];
    }
    return result;
  }

  async claimProfiles(
    ws: string,
    profileIds: readonly string[],
  ): Promise<Map<string, string | null>> {
    if (profileIds.length === 0) return new Map();
    // An upsert that always updates takes the row lock, in id order, in one round trip.
    const rows = await this.q<{ profile_id: string; merged_into: string | null }>(
      `INSERT INTO segmentation.profiles (workspace_id, profile_id)
       SELECT $1, unnest($2::text[]) ORDER BY 2
       ON CONFLICT (workspace_id, profile_id) DO UPDATE SET profile_id = EXCLUDED.profile_id
       RETURNING profile_id, merged_into`,
      [ws, [...new Set(profileIds)].sort()],
    );
    return new Map(rows.map((r) => [r.profile_id, r.merged_into]));
  }

  async lockProfiles(ws: string, profileIds: readonly string[]): Promise<void> {
    if (profileIds.length === 0) return;
    await this.q(
      `SELECT 1 FROM segmentation.profiles WHERE workspace_id = $1 AND profile_id = ANY($2)
       ORDER BY profile_id FOR UPDATE`,
      [ws, [...profileIds]],
    );
  }

  async applyTraitChanges(
    ws: string,
    profileId: string,
    version: number,
    changes: readonly TraitChange[],
  ): Promise<string[]> {
    await this.ensureProfiles(ws, [profileId]);
    const [row] = await this.q<{
      traits: Record<string, JsonValue>;
      trait_versions: Record<string, number>;
    }>(
      `SELECT traits, trait_versions FROM segmentation.profiles
       WHERE workspace_id = $1 AND profile_id = $2 FOR UPDATE`,
      [ws, profileId],
    );
    if (!row) return [];
    const traits = { ...row.traits };
    const versions = { ...row.trait_versions };
    const changed: string[] = [];
    for (const change of changes) {
      // Per-key last-writer-wins: diffs applied out of order or twice converge.
      if ((versions[change.key] ?? 0) >= version) continue;
      versions[change.key] = version;
      if (change.operation === 'unset' || change.value === undefined) delete traits[change.key];
      else traits[change.key] = change.value;
      changed.push(change.key);
    }
    if (changed.length > 0)
      await this.q(
        `UPDATE segmentation.profiles SET traits = $3, trait_versions = $4, changed_at = clock_timestamp()
         WHERE workspace_id = $1 AND profile_id = $2`,
        [ws, profileId, JSON.stringify(traits), JSON.stringify(versions)],
      );
    return changed;
  }

  /**
   * CRM changes and contact links of a workspace run one at a time: a deal committed while its
   * contact is being linked would otherwise be invisible to both re-evaluations (write skew).
   */
  private async lockCrm(ws: string): Promise<void> {
    await this.q(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`segmentation-crm:${ws}`]);
  }

  async linkContact(ws: string, contactId: string, profileId: string): Promise<string[]> {
    await this.lockCrm(ws);
    const before = await this.q<{ profile_id: string | null }>(
      `SELECT profile_id FROM segmentation.crm_contacts WHERE workspace_id = $1 AND contact_id = $2 FOR UPDATE`,
      [ws, contactId],
    );
    const previous = before[0]?.profile_id ?? null;
    if (previous === profileId) return [];
    await this.q(
      `INSERT INTO segmentation.crm_contacts (workspace_id, contact_id, profile_id) VALUES ($1, $2, $3)
       ON CONFLICT (workspace_id, contact_id) DO UPDATE SET profile_id = EXCLUDED.profile_id`,
      [ws, contactId, profileId],
    );
    const affected = previous === null ? [profileId] : [profileId, previous];
    await this.touch(ws, affected);
    return affected;
  }

  async insertHits(ws: string, hits: readonly Hit[]): Promise<string[]> {
    if (hits.length === 0) return [];
    // One round trip: new hits, and their profiles marked as changed in real time.
    const rows = await this.q<{ profile_id: string }>(
      `WITH inserted AS (
         INSERT INTO segmentation.hits (workspace_id, matcher_key, message_id, profile_id, occurred_at, user_id, anonymous_id)
         SELECT $1, k, m, p, to_timestamp(t / 1000.0), u, a
         FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::text[]) AS x(k, m, p, t, u, a)
         ON CONFLICT DO NOTHING RETURNING profile_id)
       INSERT INTO segmentation.profiles (workspace_id, profile_id, changed_at)
       SELECT $1, profile_id, clock_timestamp() FROM (SELECT DISTINCT profile_id FROM inserted) AS d ORDER BY 2
       ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = EXCLUDED.changed_at
       RETURNING profile_id`,
      [
        ws,
        hits.map((h) => h.matcherKey),
        hits.map((h) => h.messageId),
        hits.map((h) => h.profileId),
        hits.map((h) => h.occurredAt),
        hits.map((h) => h.userId),
        hits.map((h) => h.anonymousId),
      ],
    );
    return rows.map((r) => r.profile_id);
  }

  /** Marks profiles as changed in real time (a running batch leaves them alone); creates missing ones. */
  private async touch(ws: string, profileIds: readonly string[]): Promise<void> {
    if (profileIds.length === 0) return;
    await this.q(
      `INSERT INTO segmentation.profiles (workspace_id, profile_id, changed_at)
       SELECT $1, unnest($2::text[]), clock_timestamp() ORDER BY 2
       ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = EXCLUDED.changed_at`,
      [ws, [...new Set(profileIds)]],
    );
  }

  private async profilesOfContacts(ws: string, contactIds: readonly string[]): Promise<string[]> {
    if (contactIds.length === 0) return [];
    const rows = await this.q<{ profile_id: string }>(
      `SELECT DISTINCT profile_id FROM segmentation.crm_contacts
       WHERE workspace_id = $1 AND contact_id = ANY($2) AND profile_id IS NOT NULL`,
      [ws, [...contactIds]],
    );
    return rows.map((r) => r.profile_id);
  }

  /**
   * Upserts one CRM aggregate row guarded by its version: returns the previous row, or
   * undefined when the change is stale (already applied, or older than what is stored).
   */
  private async upsertAggregate(
    table: string,
    idColumn: string,
    ws: string,
    change: CrmChange,
  ): Promise<Row | undefined | null> {
    const rows = await this.q(
      `SELECT * FROM segmentation.${table} WHERE workspace_id = $1 AND ${idColumn} = $2 FOR UPDATE`,
      [ws, change.aggregateId],
    );
    const previous = rows[0];
    if (previous && Number(previous.version) >= change.version) return undefined;
    if (!previous)
      await this.q(
        `INSERT INTO segmentation.${table} (workspace_id, ${idColumn}, version) VALUES ($1, $2, 0)`,
        [ws, change.aggregateId],
      );
    return previous ?? null;
  }

  async applyCrmChange(ws: string, change: CrmChange): Promise<string[]> {
    await this.lockCrm(ws);
    const payload = change.payload;
    const fields = (payload.fields ?? {}) as Record<string, unknown>;
    const customFields = (payload.customFields ?? {}) as Record<string, unknown>;
    const archived =
      change.type === 'archived' ? true : change.type === 'restored' ? false : undefined;
    const has = (key: string): boolean => Object.prototype.hasOwnProperty.call(fields, key);
    switch (change.aggregateType) {
      case 'contact': {
        const previous = await this.upsertAggregate('crm_contacts', 'contact_id', ws, change);
        if (previous === undefined) return [];
        const companyId = has('companyId')
          ? str(fields.companyId)
          : (str(previous?.company_id) ?? null);
        await this.q(
          `UPDATE segmentation.crm_contacts SET company_id = $3, archived = COALESCE($4, archived), version = $5
           WHERE workspace_id = $1 AND contact_id = $2`,
          [ws, change.aggregateId, companyId, archived ?? null, change.version],
        );
        const affected = await this.profilesOfContacts(ws, [change.aggregateId]);
        await this.touch(ws, affected);
        return affected;
      }
      case 'company': {
        const previous = await this.upsertAggregate('crm_companies', 'company_id', ws, change);
        if (previous === undefined) return [];
        const merged: Record<string, unknown> = {
          ...((previous?.fields as Record<string, unknown>) ?? {}),
        };
        for (const [k, v] of Object.entries(fields)) {
          if (v === null) delete merged[k];
          else merged[k] = v;
        }
        const custom = { ...((merged.customFields as Record<string, unknown>) ?? {}) };
        for (const [k, v] of Object.entries(customFields)) {
          if (v === null) delete custom[k];
          else custom[k] = v;
        }
        if (Object.keys(custom).length > 0) merged.customFields = custom;
        else delete merged.customFields;
        await this.q(
          `UPDATE segmentation.crm_companies SET fields = $3, archived = COALESCE($4, archived), version = $5
           WHERE workspace_id = $1 AND company_id = $2`,
          [ws, change.aggregateId, JSON.stringify(merged), archived ?? null, change.version],
        );
        const contacts = await this.q<{ profile_id: string }>(
          `SELECT DISTINCT profile_id FROM segmentation.crm_contacts
           WHERE workspace_id = $1 AND company_id = $2 AND profile_id IS NOT NULL`,
          [ws, change.aggregateId],
        );
        const affected = contacts.map((r) => r.profile_id);
        await this.touch(ws, affected);
        return affected;
      }
      case 'deal': {
        const previous = await this.upsertAggregate('crm_deals', 'deal_id', ws, change);
        if (previous === undefined) return [];
        const before = (previous?.contact_ids as string[] | undefined) ?? [];
        let stageId = str(previous?.stage_id);
        let stageKind = str(previous?.stage_kind);
        if (has('stageId')) stageId = str(fields.stageId);
        if (has('stageKind')) stageKind = str(fields.stageKind);
        if (change.type === 'stage_changed') {
          stageId = str(payload.toStageId) ?? stageId;
          stageKind = str(payload.stageKind) ?? stageKind;
        }
        const pipelineId = has('pipelineId') ? str(fields.pipelineId) : str(previous?.pipeline_id);
        const contactIds = has('contactIds')
          ? (Array.isArray(fields.contactIds) ? fields.contactIds : []).filter(
              (c): c is string => typeof c === 'string',
            )
          : before;
        await this.q(
          `UPDATE segmentation.crm_deals SET stage_id = $3, stage_kind = $4, pipeline_id = $5, contact_ids = $6,
             archived = COALESCE($7, archived), version = $8
           WHERE workspace_id = $1 AND deal_id = $2`,
          [
            ws,
            change.aggregateId,
            stageId,
            stageKind,
            pipelineId,
            contactIds,
            archived ?? null,
            change.version,
          ],
        );
        if (has('contactIds') || previous === null) {
          await this.q(
            `DELETE FROM segmentation.crm_deal_contacts WHERE workspace_id = $1 AND deal_id = $2`,
            [ws, change.aggregateId],
          );
          await this.q(
            `INSERT INTO segmentation.crm_deal_contacts (workspace_id, contact_id, deal_id)
             SELECT $1, unnest($3::text[]), $2 ON CONFLICT DO NOTHING`,
            [ws, change.aggregateId, [...new Set(contactIds)]],
          );
        }
        const affected = await this.profilesOfContacts(ws, [
          ...new Set([...before, ...contactIds]),
        ]);
        await this.touch(ws, affected);
        return affected;
      }
      case 'ticket': {
        const previous = await this.upsertAggregate('crm_tickets', 'ticket_id', ws, change);
        if (previous === undefined) return [];
        let status = has('status') ? str(fields.status) : str(previous?.status);
        if (change.type === 'status_changed') status = str(payload.to) ?? status;
        const contactId = has('contactId') ? str(fields.contactId) : str(previous?.contact_id);
        await this.q(
          `UPDATE segmentation.crm_tickets SET status = $3, contact_id = $4, archived = COALESCE($5, archived), version = $6
           WHERE workspace_id = $1 AND ticket_id = $2`,
          [ws, change.aggregateId, status, contactId, archived ?? null, change.version],
        );
        const contacts = [str(previous?.contact_id), contactId].filter(
          (c): c is string => c !== null,
        );
        const affected = await this.profilesOfContacts(ws, contacts);
        await this.touch(ws, affected);
        return affected;
      }
      default:
        return [];
    }
  }

  async mergeProfiles(ws: string, survivor: string, merged: readonly string[]): Promise<void> {
    const others = merged.filter((id) => id !== survivor);
    if (others.length === 0) return;
    await this.ensureProfiles(ws, [survivor, ...others]);
    await this.lockProfiles(ws, [survivor, ...others]);
    await this.q(
      `UPDATE segmentation.hits SET profile_id = $2 WHERE workspace_id = $1 AND profile_id = ANY($3)`,
      [ws, survivor, others],
    );
    await this.q(
      `UPDATE segmentation.crm_contacts SET profile_id = $2 WHERE workspace_id = $1 AND profile_id = ANY($3)`,
      [ws, survivor, others],
    );
    // Profiles already merged into one of `others` now lead to the survivor directly.
    await this.q(
      `UPDATE segmentation.profiles SET merged_into = $2, changed_at = clock_timestamp()
       WHERE workspace_id = $1 AND (profile_id = ANY($3) OR merged_into = ANY($3))`,
      [ws, survivor, others],
    );
    await this.q(
      `DELETE FROM segmentation.rechecks WHERE workspace_id = $1 AND profile_id = ANY($2)`,
      [ws, others],
    );
    await this.touch(ws, [survivor]);
  }

  async splitProfile(
    ws: string,
    source: string,
    parts: readonly { profileId: string; identifiers: readonly IdentifierRef[] }[],
  ): Promise<void> {
    const ids = [source, ...parts.map((p) => p.profileId)];
    await this.ensureProfiles(ws, ids);
    await this.lockProfiles(ws, ids);
    for (const part of parts) {
      if (part.profileId !== source)
        await this.q(
          `UPDATE segmentation.profiles SET merged_into = NULL WHERE workspace_id = $1 AND profile_id = $2`,
          [ws, part.profileId],
        );
      const values = (type: string) =>
        part.identifiers.filter((i) => i.type === type).map((i) => i.value);
      await this.q(
        `UPDATE segmentation.hits SET profile_id = $3 WHERE workspace_id = $1 AND profile_id = $2
           AND ((user_id <> '' AND user_id = ANY($4)) OR (user_id = '' AND anonymous_id = ANY($5)))`,
        [ws, source, part.profileId, values('user_id'), values('anonymous_id')],
      );
      await this.q(
        `UPDATE segmentation.crm_contacts SET profile_id = $3
         WHERE workspace_id = $1 AND profile_id = $2 AND contact_id = ANY($4)`,
        [ws, source, part.profileId, values('crm_contact_id')],
      );
    }
    await this.touch(ws, ids);
  }

  async loadFacts(
    ws: string,
    profileIds: readonly string[],
    options: { crm: boolean },
  ): Promise<Map<string, Omit<ProfileFacts, 'segments'>>> {
    const result = new Map<string, Omit<ProfileFacts, 'segments'>>();
    if (profileIds.length === 0) return result;
    const ids = [...profileIds];
    const traits = await this.q<{ profile_id: string; traits: Record<string, JsonValue> }>(
      `SELECT profile_id, traits FROM segmentation.profiles WHERE workspace_id = $1 AND profile_id = ANY($2)`,
      [ws, ids],
    );
    const byProfile = new Map(traits.map((r) => [r.profile_id, r.traits]));
    const crm = options.crm ? await loadCrmFacts(this.db, ws, ids) : undefined;
    for (const id of ids)
      result.set(id, {
        traits: byProfile.get(id) ?? {},
        crm: crm?.get(id) ?? { deals: [], companies: [], openTickets: 0 },
      });
    return result;
  }

  async loadEvaluationState(
    ws: string,
    profileIds: readonly string[],
    keys: readonly MatcherKey[],
    options: { crm: boolean },
  ): Promise<EvaluationState> {
    const ids = [...profileIds];
    // Traits, hits and memberships in one round trip (real time runs this per message).
    const rows = await this.q<{ kind: 't' | 'h' | 'm'; profile_id: string; data: unknown }>(
      `SELECT 't' AS kind, profile_id, traits AS data FROM segmentation.profiles
         WHERE workspace_id = $1 AND profile_id = ANY($2)
       UNION ALL
       SELECT 'h', profile_id, jsonb_build_array(matcher_key, (extract(epoch FROM occurred_at) * 1000)::float8)
         FROM segmentation.hits WHERE workspace_id = $1 AND profile_id = ANY($2) AND matcher_key = ANY($3)
       UNION ALL
       SELECT 'm', profile_id, to_jsonb(segment_id) FROM segmentation.memberships
         WHERE workspace_id = $1 AND profile_id = ANY($2) AND exited_at IS NULL`,
      [ws, ids, [...keys]],
    );
    const traits = new Map<string, Record<string, JsonValue>>();
    const hits = new Map<string, Map<MatcherKey, number[]>>();
    const memberships = new Map<string, Set<string>>();
    for (const row of rows) {
      if (row.kind === 't') traits.set(row.profile_id, row.data as Record<string, JsonValue>);
      else if (row.kind === 'h') {
        const [key, at] = row.data as [string, number];
        const perProfile = hits.get(row.profile_id) ?? new Map<MatcherKey, number[]>();
        perProfile.set(key, [...(perProfile.get(key) ?? []), Math.round(at)]);
        hits.set(row.profile_id, perProfile);
      } else {
        const set = memberships.get(row.profile_id) ?? new Set<string>();
        set.add(row.data as string);
        memberships.set(row.profile_id, set);
      }
    }
    const crm = options.crm ? await loadCrmFacts(this.db, ws, ids) : undefined;
    const facts = new Map<string, Omit<ProfileFacts, 'segments'>>();
    for (const id of ids)
      facts.set(id, {
        traits: traits.get(id) ?? {},
        crm: crm?.get(id) ?? { deals: [], companies: [], openTickets: 0 },
      });
    return { facts, hits, memberships };
  }

  async currentMemberships(
    ws: string,
    profileIds: readonly string[],
  ): Promise<Map<string, Set<string>>> {
    const result = new Map<string, Set<string>>();
    if (profileIds.length === 0) return result;
    const rows = await this.q<{ profile_id: string; segment_id: string }>(
      `SELECT profile_id, segment_id FROM segmentation.memberships
       WHERE workspace_id = $1 AND profile_id = ANY($2) AND exited_at IS NULL`,
      [ws, [...profileIds]],
    );
    for (const row of rows) {
      const set = result.get(row.profile_id) ?? new Set<string>();
      set.add(row.segment_id);
      result.set(row.profile_id, set);
    }
    return result;
  }

  async applyTransitions(
    ws: string,
    segment: { id: string; version: number },
    mode: EvaluationMode,
    entered: readonly string[],
    exited: readonly string[],
  ): Promise<{ entered: string[]; exited: string[] }> {
    const result = { entered: [] as string[], exited: [] as string[] };
    for (let i = 0; i < Math.max(entered.length, exited.length); i += CHANGES_PER_MESSAGE / 2) {
      const chunk = await this.transitionChunk(
        ws,
        segment,
        mode,
        entered.slice(i, i + CHANGES_PER_MESSAGE / 2),
        exited.slice(i, i + CHANGES_PER_MESSAGE / 2),
      );
      result.entered.push(...chunk.entered);
      result.exited.push(...chunk.exited);
    }
    return result;
  }

  /**
   * Entries, exits and their MembershipChanged outbox row in one statement: only real
   * transitions (a profile already in, or already out, is no change) reach the message.
   */
  private async transitionChunk(
    ws: string,
    segment: { id: string; version: number },
    mode: EvaluationMode,
    entered: readonly string[],
    exited: readonly string[],
  ): Promise<{ entered: string[]; exited: string[] }> {
    if (entered.length === 0 && exited.length === 0) return { entered: [], exited: [] };
    const rows = await this.q<{ changes: { profileId: string; transition: string }[] | null }>(
      `WITH entered AS (
         INSERT INTO segmentation.memberships (workspace_id, segment_id, profile_id, segment_version, entered_at)
         SELECT $1, $2, unnest($3::text[]), $4, clock_timestamp()
         ON CONFLICT (workspace_id, segment_id, profile_id) WHERE exited_at IS NULL DO NOTHING
         RETURNING profile_id),
       exited AS (
         UPDATE segmentation.memberships SET exited_at = clock_timestamp()
         WHERE workspace_id = $1 AND segment_id = $2 AND profile_id = ANY($5) AND exited_at IS NULL
         RETURNING profile_id),
       changes AS (
         SELECT profile_id, 'MEMBERSHIP_TRANSITION_ENTERED' AS transition FROM entered
         UNION ALL SELECT profile_id, 'MEMBERSHIP_TRANSITION_EXITED' FROM exited),
       message AS (
         INSERT INTO segmentation.outbox (workspace_id, subject, message_id, schema, payload)
         SELECT $1, $6, $7, $8, jsonb_build_object('segmentId', $2::text, 'segmentVersion', $4::text, 'mode', $9::text,
           'changes', jsonb_agg(jsonb_build_object('profileId', profile_id, 'transition', transition)))
         FROM changes HAVING count(*) > 0
         RETURNING payload)
       SELECT (SELECT jsonb_agg(jsonb_build_object('profileId', profile_id, 'transition', transition)) FROM changes) AS changes`,
      [
        ws,
        segment.id,
        [...entered],
        segment.version,
        [...exited],
        eventSubject(SUBJECTS.membershipChanged, ws),
        `membership:${segment.id}:${randomUUID()}`,
        MEMBERSHIP_CHANGED_SCHEMA,
        mode === 'realtime' ? 'EVALUATION_MODE_REALTIME' : 'EVALUATION_MODE_BATCH',
      ],
    );
    const changes = rows[0]?.changes ?? [];
    return {
      entered: changes
        .filter((c) => c.transition === 'MEMBERSHIP_TRANSITION_ENTERED')
        .map((c) => c.profileId),
      exited: changes
        .filter((c) => c.transition === 'MEMBERSHIP_TRANSITION_EXITED')
        .map((c) => c.profileId),
    };
  }

  async setRechecks(
    ws: string,
    segmentId: string,
    due: ReadonlyMap<string, number | null>,
  ): Promise<void> {
    const set = [...due].filter((e): e is [string, number] => e[1] !== null);
    const clear = [...due].filter(([, at]) => at === null).map(([id]) => id);
    if (set.length > 0)
      await this.q(
        `INSERT INTO segmentation.rechecks (workspace_id, segment_id, profile_id, due_at)
         SELECT $1, $2, p, to_timestamp(t / 1000.0) FROM unnest($3::text[], $4::float8[]) AS x(p, t)
         ON CONFLICT (workspace_id, segment_id, profile_id) DO UPDATE SET due_at = EXCLUDED.due_at`,
        [ws, segmentId, set.map(([id]) => id), set.map(([, at]) => at)],
      );
    if (clear.length > 0)
      await this.q(
        `DELETE FROM segmentation.rechecks WHERE workspace_id = $1 AND segment_id = $2 AND profile_id = ANY($3)`,
        [ws, segmentId, clear],
      );
  }
}

/** TypeORM answers UPDATE/DELETE … RETURNING with `[rows, affected]`, INSERT with rows. */
export function returningRows<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  )
    return result[0] as T[];
  return result as T[];
}

/** CRM facts of profiles through their (non-archived) contacts. */
export async function loadCrmFacts(
  db: EntityManager | DataSource,
  ws: string,
  profileIds: readonly string[],
): Promise<Map<string, ProfileFacts['crm']>> {
  const contacts = await db.query<
    { profile_id: string; contact_id: string; company_id: string | null }[]
  >(
    `SELECT profile_id, contact_id, company_id FROM segmentation.crm_contacts
     WHERE workspace_id = $1 AND profile_id = ANY($2) AND NOT archived`,
    [ws, [...profileIds]],
  );
  const result = new Map<
    string,
    { deals: DealFact[]; companies: Record<string, JsonValue>[]; openTickets: number }
  >();
  if (contacts.length === 0) return result;
  const contactIds = contacts.map((c) => c.contact_id);
  const companyIds = [
    ...new Set(contacts.map((c) => c.company_id).filter((c): c is string => c !== null)),
  ];
  const deals = await db.query<
    {
      deal_id: string;
      contact_id: string;
      stage_id: string | null;
      stage_kind: string | null;
      pipeline_id: string | null;
    }[]
  >(
    `SELECT d.deal_id, l.contact_id, d.stage_id, d.stage_kind, d.pipeline_id
     FROM segmentation.crm_deal_contacts l
     JOIN segmentation.crm_deals d ON d.workspace_id = l.workspace_id AND d.deal_id = l.deal_id
     WHERE l.workspace_id = $1 AND l.contact_id = ANY($2) AND NOT d.archived`,
    [ws, contactIds],
  );
  const tickets = await db.query<{ contact_id: string; open: string }[]>(
    `SELECT contact_id, count(*) AS open FROM segmentation.crm_tickets
       WHERE workspace_id = $1 AND NOT archived AND contact_id = ANY($2) AND status = ANY($3)
       GROUP BY contact_id`,
    [ws, contactIds, OPEN_STATUSES],
  );
  const companies = await (companyIds.length === 0
    ? Promise.resolve([] as { company_id: string; fields: Record<string, JsonValue> }[])
    : db.query<{ company_id: string; fields: Record<string, JsonValue> }[]>(
        `SELECT company_id, fields FROM segmentation.crm_companies
           WHERE workspace_id = $1 AND company_id = ANY($2) AND NOT archived`,
        [ws, companyIds],
      ));
  const profileOfContact = new Map(contacts.map((c) => [c.contact_id, c.profile_id]));
  const facts = (profileId: string) => {
    let entry = result.get(profileId);
    if (!entry) {
      entry = { deals: [], companies: [], openTickets: 0 };
      result.set(profileId, entry);
    }
    return entry;
  };
  const seen = new Set<string>();
  for (const deal of deals) {
    const owner = profileOfContact.get(deal.contact_id);
    // A deal shared by two contacts of one person is one deal of that person.
    if (owner === undefined || seen.has(`${owner}\u0000${deal.deal_id}`)) continue;
    seen.add(`${owner}\u0000${deal.deal_id}`);
    facts(owner).deals.push({
      stageId: deal.stage_id,
      stageKind: (deal.stage_kind as DealStageKind | null) ?? null,
      pipelineId: deal.pipeline_id,
    });
  }
  for (const ticket of tickets) {
    const owner = profileOfContact.get(ticket.contact_id);
    if (owner !== undefined) facts(owner).openTickets += Number(ticket.open);
  }
  const companyFields = new Map(companies.map((c) => [c.company_id, c.fields]));
  for (const contact of contacts) {
    const fields = contact.company_id === null ? undefined : companyFields.get(contact.company_id);
    if (fields) facts(contact.profile_id).companies.push(fields);
  }
  return result;
}
