import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentTenant, RequireScopes, type TenantContext } from '@cdp/tenancy';
import {
  AttachmentsService,
  type FileReference,
  type Note,
} from '../../application/attachments.service';
import { parse } from './http-input';

const noteBody = z
  .object({
    kind: z.enum(['note', 'document']).default('note'),
    title: z.string().max(500).default(''),
    body: z.string().min(1),
  })
  .strict();
const fileBody = z
  .object({
    name: z.string().max(500).default(''),
    url: z.url({ protocol: /^https?$/ }).max(4096),
    contentType: z
      .string()
      .regex(/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i, 'a MIME type such as image/png'),
    sizeBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    checksum: z
      .string()
      .regex(/^(sha256|sha1|md5):[0-9a-f]{16,128}$/i, '<algorithm>:<hex>, e.g. sha256:9f86…'),
  })
  .strict();
const listQuery = z.object({
  q: z.string().min(1).max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const searchQuery = z.object({
  q: z.string().min(1).max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Notes, documents and file references of a profile (an alias id answers with the survivor's). */
@ApiTags('profiles')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing, invalid, revoked or expired API key' })
@ApiForbiddenResponse({ description: 'the key lacks profiles:read / profiles:write' })
@Controller('v1')
export class AttachmentsController {
  constructor(private readonly attachments: AttachmentsService) {}

  @Post('profiles/:id/notes')
  @RequireScopes('profiles:write')
  @ApiCreatedResponse({ description: 'the note; body { kind: note|document, title?, body }' })
  @ApiPayloadTooLargeResponse({ description: 'over PROFILE_NOTE_MAX_BYTES' })
  @ApiNotFoundResponse()
  async addNote(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<Note> {
    await this.attachments.live(tenant.workspaceId, id); // 404 before any body check
    const input = parse(noteBody, body, '(body)');
    return this.attachments.addNote(tenant.workspaceId, id, { ...input, author: tenant.keyId });
  }

  @Get('profiles/:id/notes')
  @RequireScopes('profiles:read')
  @ApiQuery({ name: 'q', required: false, example: 'test drive' })
  @ApiOkResponse({ description: '{ data }: newest first, or best match first with q' })
  @ApiNotFoundResponse()
  async listNotes(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<{ data: Note[] }> {
    const { q, limit } = parse(listQuery, query, 'query');
    return { data: await this.attachments.listNotes(tenant.workspaceId, id, q, limit) };
  }

  @Get('profiles/:id/notes/:noteId')
  @RequireScopes('profiles:read')
  @ApiNotFoundResponse()
  getNote(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Param('noteId') noteId: string,
  ): Promise<Note> {
    return this.attachments.getNote(tenant.workspaceId, id, noteId);
  }

  @Delete('profiles/:id/notes/:noteId')
  @HttpCode(204)
  @RequireScopes('profiles:write')
  @ApiNotFoundResponse()
  deleteNote(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Param('noteId') noteId: string,
  ): Promise<void> {
    return this.attachments.deleteNote(tenant.workspaceId, id, noteId);
  }

  @Get('notes')
  @RequireScopes('profiles:read')
  @ApiQuery({ name: 'q', required: false, example: '"test drive" -cancelled' })
  @ApiOkResponse({
    description:
      '{ data }: notes of every profile matching q, best match first (newest first without q)',
  })
  async searchNotes(
    @CurrentTenant() tenant: TenantContext,
    @Query() query: Record<string, unknown>,
  ): Promise<{ data: Note[] }> {
    const { q, limit } = parse(searchQuery, query, 'query');
    return { data: await this.attachments.searchNotes(tenant.workspaceId, q, limit) };
  }

  @Post('profiles/:id/files')
  @RequireScopes('profiles:write')
  @ApiCreatedResponse({
    description: 'the reference; body { name?, url, contentType, sizeBytes, checksum }',
  })
  @ApiNotFoundResponse()
  async addFile(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<FileReference> {
    await this.attachments.live(tenant.workspaceId, id); // 404 before any body check
    const input = parse(fileBody, body, '(body)');
    return this.attachments.addFile(tenant.workspaceId, id, { ...input, author: tenant.keyId });
  }

  @Get('profiles/:id/files')
  @RequireScopes('profiles:read')
  @ApiNotFoundResponse()
  async listFiles(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<{ data: FileReference[] }> {
    const { limit } = parse(listQuery, query, 'query');
    return { data: await this.attachments.listFiles(tenant.workspaceId, id, limit) };
  }

  @Delete('profiles/:id/files/:fileId')
  @HttpCode(204)
  @RequireScopes('profiles:write')
  @ApiNotFoundResponse()
  deleteFile(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Param('fileId') fileId: string,
  ): Promise<void> {
    return this.attachments.deleteFile(tenant.workspaceId, id, fileId);
  }
}
