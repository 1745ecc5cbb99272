import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';
import { API_KEY_NAME_MAX_LENGTH, type ApiKeyView } from '../../application/api-key.service';
import { ALL_SCOPES, isScope } from '../../domain/scopes';
import { type Workspace } from '../../domain/workspace';

const MAX_GRACE_SECONDS = 30 * 24 * 3600;

export const createApiKeySchema = z.strictObject({
  name: z.string().trim().min(1).max(API_KEY_NAME_MAX_LENGTH),
  scopes: z
    .array(
      z.string().refine(isScope, {
        message: 'unknown scope: expected admin or <area>:read / <area>:write',
      }),
    )
    .min(1)
    .max(ALL_SCOPES.length),
  expiresAt: z.iso
    .datetime({ offset: true })
    .transform((value) => new Date(value))
    .nullish(),
});
export type CreateApiKeyBody = z.infer<typeof createApiKeySchema>;

export const rotateApiKeySchema = z
  .strictObject({
    gracePeriodSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional(),
  })
  .nullish()
  .transform((value) => value ?? {});
export type RotateApiKeyBody = z.infer<typeof rotateApiKeySchema>;

export class CreateApiKeyDto {
  @ApiProperty({ example: 'crm sync', maxLength: API_KEY_NAME_MAX_LENGTH })
  name!: string;

  @ApiProperty({ enum: ALL_SCOPES, isArray: true, example: ['profiles:read', 'crm:write'] })
  scopes!: string[];

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  expiresAt?: string | null;
}

export class RotateApiKeyDto {
  @ApiPropertyOptional({
    description: 'How long the old key keeps working (default 24 h; 0 = reject at once)',
    minimum: 0,
    maximum: MAX_GRACE_SECONDS,
  })
  gracePeriodSeconds?: number;
}

/**
 * The lifecycle every key of the platform shares (secret API keys here, source write keys in
 * ingestion): one description of states, rotation grace and revocation in the API docs.
 */
export class KeyLifecycleDto {
  @ApiProperty({ enum: ['active', 'rotated', 'revoked', 'expired'] })
  status!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  rotatedAt!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'A rotated key is rejected from this instant',
  })
  graceUntil!: string | null;

  @ApiProperty({ type: String, nullable: true })
  replacedBy!: string | null;

  @ApiProperty({ type: String, nullable: true })
  rotatedFrom!: string | null;
}

export class ApiKeyDto extends KeyLifecycleDto {
  @ApiProperty({ example: '3f9c2a71b0d84e56a1c2d3e4' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  workspaceId!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: ALL_SCOPES, isArray: true })
  scopes!: string[];

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt!: string | null;
}

export class IssuedApiKeyDto extends ApiKeyDto {
  @ApiProperty({
    description: 'The key itself, `cdp_sk_<id>_<secret>`: shown once, never retrievable again',
    example: 'cdp_sk_3f9c2a71b0d84e56a1c2d3e4_…',
  })
  key!: string;
}

export class RotatedApiKeyDto extends IssuedApiKeyDto {
  @ApiProperty({ type: ApiKeyDto, description: 'The old key, valid until its graceUntil' })
  previous!: ApiKeyDto;
}

export class ApiKeyListDto {
  @ApiProperty({ type: ApiKeyDto, isArray: true })
  data!: ApiKeyDto[];
}

export class WorkspaceDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class WorkspaceListDto {
  @ApiProperty({ type: WorkspaceDto, isArray: true })
  data!: WorkspaceDto[];
}

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

export function apiKeyDto(view: ApiKeyView): ApiKeyDto {
  return {
    id: view.id,
    workspaceId: view.workspaceId,
    name: view.name,
    scopes: [...view.scopes],
    status: view.status,
    createdAt: view.createdAt.toISOString(),
    expiresAt: iso(view.expiresAt),
    revokedAt: iso(view.revokedAt),
    rotatedAt: iso(view.rotatedAt),
    graceUntil: iso(view.graceUntil),
    replacedBy: view.replacedBy,
    rotatedFrom: view.rotatedFrom,
  };
}

export function workspaceDto(workspace: Workspace): WorkspaceDto {
  return { id: workspace.id, name: workspace.name, createdAt: workspace.createdAt.toISOString() };
}
