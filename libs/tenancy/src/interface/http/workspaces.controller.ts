import { Controller, Get, Param } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { type TenantContext } from '../../application/ports';
import { WorkspaceService } from '../../application/workspace.service';
import { CurrentTenant, RequireScopes } from './tenancy.decorators';
import { WorkspaceDto, workspaceDto, WorkspaceListDto } from './tenancy.dto';

/** A key sees its own workspace only; any other id is a 404, whether it exists or not. */
@ApiTags('tenancy')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing, invalid, revoked or expired key' })
@ApiForbiddenResponse({ description: 'the key lacks workspaces:read' })
@Controller('v1/workspaces')
export class WorkspacesController {
  constructor(private readonly workspaces: WorkspaceService) {}

  @Get()
  @RequireScopes('workspaces:read')
  @ApiOkResponse({ type: WorkspaceListDto })
  async list(@CurrentTenant() tenant: TenantContext): Promise<WorkspaceListDto> {
    return { data: (await this.workspaces.list(tenant)).map(workspaceDto) };
  }

  @Get(':workspaceId')
  @RequireScopes('workspaces:read')
  @ApiOkResponse({ type: WorkspaceDto })
  @ApiNotFoundResponse()
  async get(
    @CurrentTenant() tenant: TenantContext,
    @Param('workspaceId') workspaceId: string,
  ): Promise<WorkspaceDto> {
    return workspaceDto(await this.workspaces.get(tenant, workspaceId));
  }
}
