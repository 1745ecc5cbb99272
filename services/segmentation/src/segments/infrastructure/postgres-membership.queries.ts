import type { DataSource } from 'typeorm';

export interface MemberView {
  readonly profileId: string;
  readonly enteredAt: string;
  readonly exitedAt: string | null;
}

/**
 * Members of a segment now or at an instant (entered at or before it, not exited by then),
 * ordered by profile id with an opaque keyset cursor.
 */
export class PostgresMembershipQueries {
  constructor(private readonly postgres: DataSource) {}

  async page(
    ws: string,
    segmentId: string,
    options: { at?: number; after?: string; limit: number },
  ): Promise<{ data: MemberView[]; nextCursor: string | null }> {
    const rows = await this.query(
      ws,
      segmentId,
      options.at,
      options.after ?? '',
      options.limit + 1,
    );
    const data = rows.slice(0, options.limit);
    const last = data[data.length - 1];
    return {
      data,
      nextCursor:
        rows.length > options.limit && last
          ? Buffer.from(last.profileId).toString('base64url')
          : null,
    };
  }

  async *all(ws: string, segmentId: string, at?: number): AsyncIterable<MemberView[]> {
    let after = '';
    for (;;) {
      const rows = await this.query(ws, segmentId, at, after, 5000);
      if (rows.length === 0) return;
      yield rows;
      after = rows[rows.length - 1]?.profileId ?? after;
      if (rows.length < 5000) return;
    }
  }

  private async query(
    ws: string,
    segmentId: string,
    at: number | undefined,
    after: string,
    limit: number,
  ): Promise<MemberView[]> {
    const rows = await this.postgres.query<
      { profile_id: string; entered_at: Date; exited_at: Date | null }[]
    >(
      at === undefined
        ? `SELECT profile_id, entered_at, exited_at FROM segmentation.memberships
           WHERE workspace_id = $1 AND segment_id = $2 AND exited_at IS NULL AND profile_id > $3
           ORDER BY workspace_id, segment_id, profile_id LIMIT $4`
        : `SELECT DISTINCT ON (profile_id) profile_id, entered_at, exited_at FROM segmentation.memberships
           WHERE workspace_id = $1 AND segment_id = $2 AND profile_id > $3
             AND entered_at <= to_timestamp($5 / 1000.0) AND (exited_at IS NULL OR exited_at > to_timestamp($5 / 1000.0))
           ORDER BY profile_id, entered_at DESC LIMIT $4`,
      at === undefined ? [ws, segmentId, after, limit] : [ws, segmentId, after, limit, at],
    );
    return rows.map((r) => ({
      profileId: r.profile_id,
      enteredAt: r.entered_at.toISOString(),
      exitedAt: r.exited_at ? r.exited_at.toISOString() : null,
    }));
  }
}

export function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
