import { Controller, Get, Param, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { z } from 'zod';
import { ZodValidationPipe } from '@cdp/http';
import { CurrentTenant, RequireScopes, type TenantContext } from '@cdp/tenancy';
import {
  DEBUGGER_DEFAULT_LIMIT,
  DEBUGGER_MAX_LIMIT,
  SourceEventsQuery,
} from '../../application/source-events.query';

const querySchema = z.object({
  limit: z.coerce.number().int().min(1).max(DEBUGGER_MAX_LIMIT).default(DEBUGGER_DEFAULT_LIMIT),
});
type SourceEventsParams = z.infer<typeof querySchema>;

class ReasonDto {
  @ApiProperty({ example: 'properties.price' })
  field!: string;

  @ApiProperty()
  message!: string;
}

class DebuggerEntryDto {
  @ApiProperty({ enum: ['accepted', 'rejected'] })
  status!: string;

  @ApiProperty({ format: 'date-time' })
  receivedAt!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'The event (accepted: as stored; rejected: as sent). Over 8 KiB: { truncated, length, preview }',
  })
  event!: unknown;

  @ApiPropertyOptional({ type: ReasonDto, isArray: true, description: 'Why it was rejected' })
  reasons?: ReasonDto[];
}

class SourceEventsDto {
  @ApiProperty({ type: DebuggerEntryDto, isArray: true, description: 'Newest first' })
  data!: DebuggerEntryDto[];

  @ApiProperty({ description: 'true: other ingestion processes could not be asked' })
  partial!: boolean;
}

/** Segment-style live debugger of a source. */
@ApiTags('sources')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing, invalid, revoked or expired API key' })
@ApiForbiddenResponse({ description: 'the key lacks sources:read' })
@Controller('v1/sources')
export class SourceEventsController {
  constructor(private readonly query: SourceEventsQuery) {}

  @Get(':id/events')
  @RequireScopes('sources:read')
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: {
      type: 'integer',
      minimum: 1,
      maximum: DEBUGGER_MAX_LIMIT,
      default: DEBUGGER_DEFAULT_LIMIT,
    },
  })
  @ApiOkResponse({
    type: SourceEventsDto,
    description: 'Latest accepted and rejected events of the source, from every ingestion process',
  })
  @ApiNotFoundResponse()
  async list(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Query(new ZodValidationPipe(querySchema)) params: SourceEventsParams,
  ): Promise<SourceEventsDto> {
    const result = await this.query.execute(tenant, id, params.limit);
    return { data: result.data as DebuggerEntryDto[], partial: result.partial };
  }
}
