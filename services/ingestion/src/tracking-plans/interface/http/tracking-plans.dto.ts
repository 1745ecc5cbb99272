import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';
import {
  PLAN_MODES,
  TRACKING_PLAN_NAME_MAX_LENGTH,
  type TrackingPlan,
} from '../../domain/tracking-plan';

const jsonSchema = z.union([z.boolean(), z.record(z.string(), z.unknown())]);
const byName = z.record(z.string().min(1).max(200), jsonSchema);

export const rulesSchema = z.strictObject({
  events: byName.default({}),
  identify: jsonSchema.optional(),
  group: jsonSchema.optional(),
  pages: byName.default({}),
  screens: byName.default({}),
  allowUnplannedEvents: z.boolean().default(true),
});

const name = z.string().trim().min(1).max(TRACKING_PLAN_NAME_MAX_LENGTH);

export const createTrackingPlanSchema = z.strictObject({
  name,
  mode: z.enum(PLAN_MODES).default('flag'),
  rules: rulesSchema.default({
    events: {},
    pages: {},
    screens: {},
    allowUnplannedEvents: true,
  }),
});
export type CreateTrackingPlanBody = z.infer<typeof createTrackingPlanSchema>;

export const updateTrackingPlanSchema = z
  .strictObject({
    name: name.optional(),
    mode: z.enum(PLAN_MODES).optional(),
    rules: rulesSchema.optional(),
  })
  .nullish()
  .transform((value) => value ?? {});
export type UpdateTrackingPlanBody = z.infer<typeof updateTrackingPlanSchema>;

export class TrackingPlanRulesDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'track: event name → JSON Schema of `properties`',
    example: {
      'Order Completed': {
        type: 'object',
        properties: { price: { type: 'number' } },
        required: ['price'],
      },
    },
  })
  events?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'identify: JSON Schema of `traits`',
  })
  identify?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'group: JSON Schema of `traits`',
  })
  group?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'page name → JSON Schema of `properties`',
  })
  pages?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'screen name → JSON Schema of `properties`',
  })
  screens?: Record<string, unknown>;

  @ApiPropertyOptional({
    default: true,
    description: 'false: a track event not in `events` is a violation',
  })
  allowUnplannedEvents?: boolean;
}

export class CreateTrackingPlanDto {
  @ApiProperty({ maxLength: TRACKING_PLAN_NAME_MAX_LENGTH })
  name!: string;

  @ApiPropertyOptional({ enum: PLAN_MODES, default: 'flag' })
  mode?: string;

  @ApiPropertyOptional({ type: TrackingPlanRulesDto })
  rules?: TrackingPlanRulesDto;
}

export class UpdateTrackingPlanDto {
  @ApiPropertyOptional({ maxLength: TRACKING_PLAN_NAME_MAX_LENGTH })
  name?: string;

  @ApiPropertyOptional({ enum: PLAN_MODES })
  mode?: string;

  @ApiPropertyOptional({ type: TrackingPlanRulesDto, description: 'Replaces the rules as a whole' })
  rules?: TrackingPlanRulesDto;
}

export class TrackingPlanDto {
  @ApiProperty({ example: 'tp_0123456789abcdef01234567' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  workspaceId!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: PLAN_MODES })
  mode!: string;

  @ApiProperty({ type: TrackingPlanRulesDto })
  rules!: TrackingPlanRulesDto;

  @ApiProperty({ description: 'Grows by one on every change' })
  version!: number;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class TrackingPlanListDto {
  @ApiProperty({ type: TrackingPlanDto, isArray: true })
  data!: TrackingPlanDto[];
}

export function trackingPlanDto(plan: TrackingPlan): TrackingPlanDto {
  return {
    id: plan.id,
    workspaceId: plan.workspaceId,
    name: plan.name,
    mode: plan.mode,
    rules: plan.rules as TrackingPlanRulesDto,
    version: plan.version,
    createdAt: plan.createdAt.toISOString(),
    updatedAt: plan.updatedAt.toISOString(),
  };
}
