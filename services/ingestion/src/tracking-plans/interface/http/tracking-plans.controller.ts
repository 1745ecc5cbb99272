import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ZodValidationPipe } from '@cdp/http';
import { CurrentTenant, RequireScopes, type TenantContext } from '@cdp/tenancy';
import { TrackingPlansService } from '../../application/tracking-plans.service';
import {
  CreateTrackingPlanDto,
  createTrackingPlanSchema,
  TrackingPlanDto,
  trackingPlanDto,
  TrackingPlanListDto,
  UpdateTrackingPlanDto,
  updateTrackingPlanSchema,
  type CreateTrackingPlanBody,
  type UpdateTrackingPlanBody,
} from './tracking-plans.dto';

/** Tracking plans of the caller's workspace (attach one with PATCH /v1/sources/:id). */
@ApiTags('tracking-plans')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing, invalid, revoked or expired API key' })
@ApiForbiddenResponse({ description: 'the key lacks sources:read / sources:write' })
@Controller('v1/tracking-plans')
export class TrackingPlansController {
  constructor(private readonly plans: TrackingPlansService) {}

  @Post()
  @HttpCode(201)
  @RequireScopes('sources:write')
  @ApiBody({ type: CreateTrackingPlanDto })
  @ApiCreatedResponse({ type: TrackingPlanDto })
  @ApiBadRequestResponse({ description: 'invalid body or a schema that is not valid JSON Schema' })
  async create(
    @CurrentTenant() tenant: TenantContext,
    @Body(new ZodValidationPipe(createTrackingPlanSchema)) body: CreateTrackingPlanBody,
  ): Promise<TrackingPlanDto> {
    return trackingPlanDto(await this.plans.create(tenant, body));
  }

  @Get()
  @RequireScopes('sources:read')
  @ApiOkResponse({ type: TrackingPlanListDto })
  async list(@CurrentTenant() tenant: TenantContext): Promise<TrackingPlanListDto> {
    return { data: (await this.plans.list(tenant)).map(trackingPlanDto) };
  }

  @Get(':id')
  @RequireScopes('sources:read')
  @ApiOkResponse({ type: TrackingPlanDto })
  @ApiNotFoundResponse()
  async get(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
  ): Promise<TrackingPlanDto> {
    return trackingPlanDto(await this.plans.get(tenant, id));
  }

  @Patch(':id')
  @RequireScopes('sources:write')
  @ApiBody({ type: UpdateTrackingPlanDto })
  @ApiOkResponse({ type: TrackingPlanDto })
  @ApiBadRequestResponse({ description: 'invalid body or schema' })
  @ApiNotFoundResponse()
  async update(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Body(new ZodValidationPipe(updateTrackingPlanSchema)) body: UpdateTrackingPlanBody,
  ): Promise<TrackingPlanDto> {
    return trackingPlanDto(await this.plans.update(tenant, id, body));
  }

  @Delete(':id')
  @RequireScopes('sources:write')
  @ApiOkResponse({ type: TrackingPlanDto, description: 'Deleted; sources using it are detached' })
  @ApiNotFoundResponse()
  async delete(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
  ): Promise<TrackingPlanDto> {
    return trackingPlanDto(await this.plans.delete(tenant, id));
  }
}
