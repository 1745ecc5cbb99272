import type { DataSource } from 'typeorm';
import {
  type AttachmentRepository,
  type FileReference,
  type Note,
  type NoteKind,
} from '../application/attachments.service';

interface NoteRow {
  id: string;
  profile_id: string;
  kind: NoteKind;
  title: string;
  body: string;
  size_bytes: number;
  author: string;
  created_at: Date;
}

interface FileRow {
  id: string;
  profile_id: string;
  name: string;
  url: string;
  content_type: string;
  size_bytes: string;
  checksum: string;
  author: string;
  created_at: Date;
}

function note(row: NoteRow): Note {
  return {
    id: row.id,
    profileId: row.profile_id,
    kind: row.kind,
    title: row.title,
    body: row.body,
    sizeBytes: row.size_bytes,
    author: row.author,
    createdAt: row.created_at.toISOString(),
  };
}

function file(row: FileRow): FileReference {
  return {
    id: row.id,
    profileId: row.profile_id,
    name: row.name,
    url: row.url,
    contentType: row.content_type,
    sizeBytes: Number(row.size_bytes),
    checksum: row.checksum,
    author: row.author,
    createdAt: row.created_at.toISOString(),
  };
}

const NOTE_COLUMNS = 'id, profile_id, kind, title, body, size_bytes, author, created_at';
const FILE_COLUMNS =
  'id, profile_id, name, url, content_type, size_bytes, checksum, author, created_at';

/**
 * Notes (full-text search over a generated `tsvector`, `simple` configuration so any language
 * matches word for word; `websearch_to_tsquery` syntax: words, "phrases", -exclusions, or)
 * and file references in Postgres.
 */
export class PostgresAttachments implements AttachmentRepository {
  constructor(private readonly postgres: DataSource) {}

  async addNote(workspaceId: string, input: Omit<Note, 'createdAt'>): Promise<Note> {
    const [row] = await this.postgres.query<NoteRow[]>(
      `INSERT INTO profile.notes (workspace_id, id, profile_id, kind, title, body, size_bytes, author)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${NOTE_COLUMNS}`,
      [
        workspaceId,
        input.id,
        input.profileId,
        input.kind,
        input.title,
        input.body,
        input.sizeBytes,
        input.author,
      ],
    );
    if (!row) throw new Error('INSERT … RETURNING returned no row');
    return note(row);
  }

  async listNotes(
    workspaceId: string,
    profileId: string | undefined,
    query: string | undefined,
    limit: number,
  ): Promise<Note[]> {
    const params: unknown[] = [workspaceId, limit];
    let where = 'workspace_id = $1';
    if (profileId !== undefined) {
      params.push(profileId);
      where += ` AND profile_id = $${params.length}`;
    }
    let order = 'created_at DESC, id';
    if (query !== undefined) {
      params.push(query);
      const q = `websearch_to_tsquery('simple', $${params.length})`;
      where += ` AND search @@ ${q}`;
      order = `ts_rank(search, ${q}) DESC, created_at DESC, id`;
    }
    const rows = await this.postgres.query<NoteRow[]>(
      `SELECT ${NOTE_COLUMNS} FROM profile.notes WHERE ${where} ORDER BY ${order} LIMIT $2`,
      params,
    );
    return rows.map(note);
  }

  async getNote(workspaceId: string, profileId: string, id: string): Promise<Note | undefined> {
    const [row] = await this.postgres.query<NoteRow[]>(
      `SELECT ${NOTE_COLUMNS} FROM profile.notes
       WHERE workspace_id = $1 AND profile_id = $2 AND id = $3`,
      [workspaceId, profileId, id],
    );
    return row && note(row);
  }

  async deleteNote(workspaceId: string, profileId: string, id: string): Promise<boolean> {
    // TypeORM answers a DELETE with [rows, affected row count].
    const [, deleted] = await this.postgres.query<[unknown[], number]>(
      `DELETE FROM profile.notes WHERE workspace_id = $1 AND profile_id = $2 AND id = $3
       RETURNING id`,
      [workspaceId, profileId, id],
    );
    return deleted > 0;
  }

  async addFile(
    workspaceId: string,
    input: Omit<FileReference, 'createdAt'>,
  ): Promise<FileReference> {
    const [row] = await this.postgres.query<FileRow[]>(
      `INSERT INTO profile.files
         (workspace_id, id, profile_id, name, url, content_type, size_bytes, checksum, author)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${FILE_COLUMNS}`,
      [
        workspaceId,
        input.id,
        input.profileId,
        input.name,
        input.url,
        input.contentType,
        input.sizeBytes,
        input.checksum,
        input.author,
      ],
    );
    if (!row) throw new Error('INSERT … RETURNING returned no row');
    return file(row);
  }

  async listFiles(workspaceId: string, profileId: string, limit: number): Promise<FileReference[]> {
    const rows = await this.postgres.query<FileRow[]>(
      `SELECT ${FILE_COLUMNS} FROM profile.files WHERE workspace_id = $1 AND profile_id = $2
       ORDER BY created_at DESC, id LIMIT $3`,
      [workspaceId, profileId, limit],
    );
    return rows.map(file);
  }

  async deleteFile(workspaceId: string, profileId: string, id: string): Promise<boolean> {
    // TypeORM answers a DELETE with [rows, affected row count].
    const [, deleted] = await this.postgres.query<[unknown[], number]>(
      `DELETE FROM profile.files WHERE workspace_id = $1 AND profile_id = $2 AND id = $3
       RETURNING id`,
      [workspaceId, profileId, id],
    );
    return deleted > 0;
  }
}
