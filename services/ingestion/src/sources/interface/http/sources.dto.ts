import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';
import { KeyLifecycleDto } from '@cdp/tenancy';
import { SOURCE_KINDS, SOURCE_NAME_MAX_LENGTH, type Source } from '../../domain/source';
import { type WriteKeyView } from '../../application/write-keys.service';

const MAX_GRACE_SECONDS = 30 * 24 * 3600;
const planId = z.string().min(1).max(64);

export const createSourceSchema = z.strictObject({
  name: z.string().trim().min(1).max(SOURCE_NAME_MAX_LENGTH),
  kind: z.enum(SOURCE_KINDS),
  enabled: z.boolean().optional(),
  trackingPlanId: planId.nullish(),
});
export type CreateSourceBody = z.infer<typeof createSourceSchema>;

export const updateSourceSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(SOURCE_NAME_MAX_LENGTH).optional(),
    enabled: z.boolean().optional(),
    trackingPlanId: planId.nullable().optional(),
  })
  .nullish()
  .transform((value) => value ?? {});
export type UpdateSourceBody = z.infer<typeof updateSourceSchema>;

export const rotateWriteKeySchema = z
  .strictObject({
    gracePeriodSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional(),
  })
  .nullish()
  .transform((value) => value ?? {});
export type RotateWriteKeyBody = z.infer<typeof rotateWriteKeySchema>;

export class CreateSourceDto {
  @ApiProperty({ example: 'website', maxLength: SOURCE_NAME_MAX_LENGTH })
  name!: string;

  @ApiProperty({ enum: SOURCE_KINDS })
  kind!: string;

  @ApiPropertyOptional({ default: true })
  enabled?: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'tp_0123456789abcdef01234567' })
  trackingPlanId?: string | null;
}

export class UpdateSourceDto {
  @ApiPropertyOptional({ maxLength: SOURCE_NAME_MAX_LENGTH })
  name?: string;

  @ApiPropertyOptional({ description: 'false: every write key of the source is rejected (401)' })
  enabled?: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'null detaches the plan' })
  trackingPlanId?: string | null;
}

export class RotateWriteKeyDto {
  @ApiPropertyOptional({
    description: 'How long the old key keeps working (default 24 h; 0 = reject at once)',
    minimum: 0,
    maximum: MAX_GRACE_SECONDS,
  })
  gracePeriodSeconds?: number;
}

export class SourceDto {
  @ApiProperty({ example: 'src_0123456789abcdef01234567' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  workspaceId!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: SOURCE_KINDS })
  kind!: string;

  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({ type: String, nullable: true })
  trackingPlanId!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class SourceListDto {
  @ApiProperty({ type: SourceDto, isArray: true })
  data!: SourceDto[];
}

export class WriteKeyDto extends KeyLifecycleDto {
  @ApiProperty({ example: '3f9c2a71b0d84e56a1c2d3e4' })
  id!: string;

  @ApiProperty()
  sourceId!: string;
}

export class IssuedWriteKeyDto extends WriteKeyDto {
  @ApiProperty({
    description:
      'The write key, `wk_<id><secret>`: shown once. Use it as the HTTP Basic username (Segment SDKs: writeKey)',
    example: 'wk_3f9c2a71b0d84e56a1c2d3e4…',
  })
  key!: string;
}

export class RotatedWriteKeyDto extends IssuedWriteKeyDto {
  @ApiProperty({ type: WriteKeyDto, description: 'The old key, valid until its graceUntil' })
  previous!: WriteKeyDto;
}

export class WriteKeyListDto {
  @ApiProperty({ type: WriteKeyDto, isArray: true })
  data!: WriteKeyDto[];
}

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

export function sourceDto(source: Source): SourceDto {
  return {
    id: source.id,
    workspaceId: source.workspaceId,
    name: source.name,
    kind: source.kind,
    enabled: source.enabled,
    trackingPlanId: source.trackingPlanId,
    createdAt: source.createdAt.toISOString(),
    updatedAt: source.updatedAt.toISOString(),
  };
}

export function writeKeyDto(view: WriteKeyView): WriteKeyDto {
  return {
    id: view.id,
    sourceId: view.sourceId,
    status: view.status,
    createdAt: view.createdAt.toISOString(),
    revokedAt: iso(view.revokedAt),
    rotatedAt: iso(view.rotatedAt),
    graceUntil: iso(view.graceUntil),
    replacedBy: view.replacedBy,
    rotatedFrom: view.rotatedFrom,
  };
}
