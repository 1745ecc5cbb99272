import { randomUUID } from 'node:crypto';
import { DomainError } from '@cdp/contracts';
import { type ProfileReader } from './profile-queries.service';

export type NoteKind = 'note' | 'document';

export interface Note {
  readonly id: string;
  readonly profileId: string;
  readonly kind: NoteKind;
  readonly title: string;
  readonly body: string;
  readonly sizeBytes: number;
  readonly author: string;
  readonly createdAt: string;
}

export interface FileReference {
  readonly id: string;
  readonly profileId: string;
  readonly name: string;
  readonly url: string;
  readonly contentType: string;
  readonly sizeBytes: number;
  readonly checksum: string;
  readonly author: string;
  readonly createdAt: string;
}

export interface AttachmentRepository {
  addNote(workspaceId: string, note: Omit<Note, 'createdAt'>): Promise<Note>;
  /** Newest first; with `query`, only notes matching it (full-text), best match first. */
  listNotes(
    workspaceId: string,
    profileId: string | undefined,
    query: string | undefined,
    limit: number,
  ): Promise<Note[]>;
  getNote(workspaceId: string, profileId: string, id: string): Promise<Note | undefined>;
  deleteNote(workspaceId: string, profileId: string, id: string): Promise<boolean>;
  addFile(workspaceId: string, file: Omit<FileReference, 'createdAt'>): Promise<FileReference>;
  listFiles(workspaceId: string, profileId: string, limit: number): Promise<FileReference[]>;
  deleteFile(workspaceId: string, profileId: string, id: string): Promise<boolean>;
}

function notFound(what: string, id: string): DomainError {
  return new DomainError('not_found', `profile.${what}_not_found`, `${what} ${id} not found`, {
    id,
  });
}

/**
 * Unstructured data on a profile: notes and documents (text, full-text searchable, at most
 * `maxNoteBytes` UTF-8 bytes) and references to files/images stored elsewhere (URL, type, size,
 * checksum: the platform keeps the reference, not the bytes). Everything is addressed through
 * the profile, so an alias id answers with the survivor's attachments.
 */
export class AttachmentsService {
  constructor(
    private readonly profiles: ProfileReader,
    private readonly repository: AttachmentRepository,
    private readonly maxNoteBytes: number,
  ) {}

  /** The live profile `profileId` answers with; `profile.not_found` when there is none. */
  async live(workspaceId: string, profileId: string): Promise<string> {
    const state = await this.profiles.find(workspaceId, profileId);
    if (!state) throw notFound('profile', profileId);
    return state.id;
  }

  async addNote(
    workspaceId: string,
    profileId: string,
    input: { kind: NoteKind; title: string; body: string; author: string },
  ): Promise<Note> {
    const sizeBytes =
      Buffer.byteLength(input.body, 'utf8') + Buffer.byteLength(input.title, 'utf8');
    if (sizeBytes > this.maxNoteBytes)
      throw new DomainError(
        'too_large',
        'profile.note_too_large',
        `a ${input.kind} may hold at most ${this.maxNoteBytes} bytes (got ${sizeBytes})`,
        { maxBytes: this.maxNoteBytes, sizeBytes },
      );
    const owner = await this.live(workspaceId, profileId);
    return this.repository.addNote(workspaceId, {
      id: `note_${randomUUID()}`,
      profileId: owner,
      sizeBytes,
      ...input,
    });
  }

  async listNotes(
    workspaceId: string,
    profileId: string,
    query: string | undefined,
    limit: number,
  ): Promise<Note[]> {
    return this.repository.listNotes(
      workspaceId,
      await this.live(workspaceId, profileId),
      query,
      limit,
    );
  }

  /** Full-text search across every profile of the workspace (latest notes without a query). */
  searchNotes(workspaceId: string, query: string | undefined, limit: number): Promise<Note[]> {
    return this.repository.listNotes(workspaceId, undefined, query, limit);
  }

  async getNote(workspaceId: string, profileId: string, id: string): Promise<Note> {
    const note = await this.repository.getNote(
      workspaceId,
      await this.live(workspaceId, profileId),
      id,
    );
    if (!note) throw notFound('note', id);
    return note;
  }

  async deleteNote(workspaceId: string, profileId: string, id: string): Promise<void> {
    if (
      !(await this.repository.deleteNote(workspaceId, await this.live(workspaceId, profileId), id))
    )
      throw notFound('note', id);
  }

  async addFile(
    workspaceId: string,
    profileId: string,
    input: Omit<FileReference, 'id' | 'profileId' | 'createdAt'>,
  ): Promise<FileReference> {
    const owner = await this.live(workspaceId, profileId);
    return this.repository.addFile(workspaceId, {
      id: `file_${randomUUID()}`,
      profileId: owner,
      ...input,
    });
  }

  async listFiles(workspaceId: string, profileId: string, limit: number): Promise<FileReference[]> {
    return this.repository.listFiles(workspaceId, await this.live(workspaceId, profileId), limit);
  }

  async deleteFile(workspaceId: string, profileId: string, id: string): Promise<void> {
    if (
      !(await this.repository.deleteFile(workspaceId, await this.live(workspaceId, profileId), id))
    )
      throw notFound('file', id);
  }
}
