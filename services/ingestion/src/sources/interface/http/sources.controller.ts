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
import { SourcesService } from '../../application/sources.service';
import { WriteKeysService } from '../../application/write-keys.service';
import {
  createSourceSchema,
  CreateSourceDto,
  IssuedWriteKeyDto,
  RotatedWriteKeyDto,
  RotateWriteKeyDto,
  rotateWriteKeySchema,
  SourceDto,
  sourceDto,
  SourceListDto,
  UpdateSourceDto,
  updateSourceSchema,
  WriteKeyDto,
  writeKeyDto,
  WriteKeyListDto,
  type CreateSourceBody,
  type RotateWriteKeyBody,
  type UpdateSourceBody,
} from './sources.dto';

/** Sources of the caller's workspace and their write keys. Another workspace's ids are 404s. */
@ApiTags('sources')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing, invalid, revoked or expired API key' })
@ApiForbiddenResponse({ description: 'the key lacks sources:read / sources:write' })
@Controller('v1/sources')
export class SourcesController {
  constructor(
    private readonly sources: SourcesService,
    private readonly writeKeys: WriteKeysService,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireScopes('sources:write')
  @ApiBody({ type: CreateSourceDto })
  @ApiCreatedResponse({ type: SourceDto })
  @ApiBadRequestResponse({ description: 'invalid body or unknown tracking plan' })
  async create(
    @CurrentTenant() tenant: TenantContext,
    @Body(new ZodValidationPipe(createSourceSchema)) body: CreateSourceBody,
  ): Promise<SourceDto> {
    return sourceDto(await this.sources.create(tenant, body));
  }

  @Get()
  @RequireScopes('sources:read')
  @ApiOkResponse({ type: SourceListDto })
  async list(@CurrentTenant() tenant: TenantContext): Promise<SourceListDto> {
    return { data: (await this.sources.list(tenant)).map(sourceDto) };
  }

  @Get(':id')
  @RequireScopes('sources:read')
  @ApiOkResponse({ type: SourceDto })
  @ApiNotFoundResponse()
  async get(@CurrentTenant() tenant: TenantContext, @Param('id') id: string): Promise<SourceDto> {
    return sourceDto(await this.sources.get(tenant, id));
  }

  @Patch(':id')
  @RequireScopes('sources:write')
  @ApiBody({ type: UpdateSourceDto })
  @ApiOkResponse({ type: SourceDto })
  @ApiNotFoundResponse()
  async update(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Body(new ZodValidationPipe(updateSourceSchema)) body: UpdateSourceBody,
  ): Promise<SourceDto> {
    return sourceDto(await this.sources.update(tenant, id, body));
  }

  @Delete(':id')
  @RequireScopes('sources:write')
  @ApiOkResponse({ type: SourceDto, description: 'Deleted with its write keys (rejected at once)' })
  @ApiNotFoundResponse()
  async delete(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
  ): Promise<SourceDto> {
    return sourceDto(await this.sources.delete(tenant, id));
  }

  @Post(':id/write-keys')
  @HttpCode(201)
  @RequireScopes('sources:write')
  @ApiCreatedResponse({ type: IssuedWriteKeyDto, description: 'The key is in `key`, shown once' })
  @ApiNotFoundResponse()
  async createWriteKey(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
  ): Promise<IssuedWriteKeyDto> {
    const issued = await this.writeKeys.create(tenant, id);
    return { ...writeKeyDto(issued.writeKey), key: issued.plaintext };
  }

  @Get(':id/write-keys')
  @RequireScopes('sources:read')
  @ApiOkResponse({ type: WriteKeyListDto, description: 'Never the secrets' })
  @ApiNotFoundResponse()
  async listWriteKeys(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
  ): Promise<WriteKeyListDto> {
    return { data: (await this.writeKeys.list(tenant, id)).map(writeKeyDto) };
  }

  @Post(':id/write-keys/:keyId/rotate')
  @HttpCode(201)
  @RequireScopes('sources:write')
  @ApiBody({ type: RotateWriteKeyDto, required: false })
  @ApiCreatedResponse({ type: RotatedWriteKeyDto, description: 'The new key, shown once' })
  @ApiNotFoundResponse()
  async rotateWriteKey(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Param('keyId') keyId: string,
    @Body(new ZodValidationPipe(rotateWriteKeySchema)) body: RotateWriteKeyBody,
  ): Promise<RotatedWriteKeyDto> {
    const rotated = await this.writeKeys.rotate(
      tenant,
      id,
      keyId,
      body.gracePeriodSeconds === undefined ? {} : { graceMs: body.gracePeriodSeconds * 1000 },
    );
    return {
      ...writeKeyDto(rotated.writeKey),
      key: rotated.plaintext,
      previous: writeKeyDto(rotated.previous),
    };
  }

  @Delete(':id/write-keys/:keyId')
  @RequireScopes('sources:write')
  @ApiOkResponse({ type: WriteKeyDto, description: 'Revoked: rejected everywhere from now on' })
  @ApiNotFoundResponse()
  async revokeWriteKey(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Param('keyId') keyId: string,
  ): Promise<WriteKeyDto> {
    return writeKeyDto(await this.writeKeys.revoke(tenant, id, keyId));
  }
}
