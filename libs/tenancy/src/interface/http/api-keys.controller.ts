import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ApiKeyService } from '../../application/api-key.service';
import { type TenantContext } from '../../application/ports';
import { CurrentTenant, RequireScopes } from './tenancy.decorators';
import {
  apiKeyDto,
  ApiKeyDto,
  ApiKeyListDto,
  CreateApiKeyDto,
  createApiKeySchema,
  IssuedApiKeyDto,
  RotateApiKeyDto,
  rotateApiKeySchema,
  RotatedApiKeyDto,
  type CreateApiKeyBody,
  type RotateApiKeyBody,
} from './tenancy.dto';
import { ZodValidationPipe } from '@cdp/http';

/** Secret API keys of the caller's workspace. Another workspace's key id is a 404. */
@ApiTags('tenancy')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing, invalid, revoked or expired key' })
@ApiForbiddenResponse({ description: 'the key lacks the scope' })
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeyService) {}

  @Get()
  @RequireScopes('keys:read')
  @ApiOkResponse({ type: ApiKeyListDto })
  async list(@CurrentTenant() tenant: TenantContext): Promise<ApiKeyListDto> {
    return { data: (await this.apiKeys.list(tenant)).map(apiKeyDto) };
  }

  @Post()
  @HttpCode(201)
  @RequireScopes('keys:write')
  @ApiBody({ type: CreateApiKeyDto })
  @ApiCreatedResponse({
    type: IssuedApiKeyDto,
    description: 'The key is in `key`, shown this once',
  })
  async create(
    @CurrentTenant() tenant: TenantContext,
    @Body(new ZodValidationPipe(createApiKeySchema)) body: CreateApiKeyBody,
  ): Promise<IssuedApiKeyDto> {
    const issued = await this.apiKeys.create(tenant, body);
    return { ...apiKeyDto(issued.apiKey), key: issued.plaintext };
  }

  @Get(':id')
  @RequireScopes('keys:read')
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiNotFoundResponse()
  async get(@CurrentTenant() tenant: TenantContext, @Param('id') id: string): Promise<ApiKeyDto> {
    return apiKeyDto(await this.apiKeys.get(tenant, id));
  }

  @Post(':id/rotate')
  @HttpCode(201)
  @RequireScopes('keys:write')
  @ApiBody({ type: RotateApiKeyDto, required: false })
  @ApiCreatedResponse({
    type: RotatedApiKeyDto,
    description: 'The new key is in `key`, shown this once',
  })
  @ApiNotFoundResponse()
  async rotate(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Body(new ZodValidationPipe(rotateApiKeySchema)) body: RotateApiKeyBody,
  ): Promise<RotatedApiKeyDto> {
    const graceMs =
      body.gracePeriodSeconds === undefined ? undefined : body.gracePeriodSeconds * 1000;
    const rotated = await this.apiKeys.rotate(tenant, id, graceMs === undefined ? {} : { graceMs });
    return {
      ...apiKeyDto(rotated.apiKey),
      key: rotated.plaintext,
      previous: apiKeyDto(rotated.previous),
    };
  }

  @Delete(':id')
  @RequireScopes('keys:write')
  @ApiOkResponse({ type: ApiKeyDto, description: 'Revoked: rejected everywhere from now on' })
  @ApiNotFoundResponse()
  async revoke(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
  ): Promise<ApiKeyDto> {
    return apiKeyDto(await this.apiKeys.revoke(tenant, id));
  }
}
