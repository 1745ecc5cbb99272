// Public API of @cdp/tenancy: workspaces and secret API keys for every service.
export * from './domain';

export type {
  TenantContext,
  Clock,
  WorkspaceRepository,
  ApiKeyRepository,
  KeyChange,
  KeyChangedEvent,
  KeyChangeBus,
} from './application/ports';
export { systemClock } from './application/ports';
export { LocalKeyChangeBus } from './application/local-key-change-bus';
export {
  ApiKeyService,
  toApiKeyView,
  API_KEY_NAME_MAX_LENGTH,
  type ApiKeyView,
  type IssuedApiKey,
  type RotatedApiKey,
  type CreateApiKeyInput,
  type ApiKeyServiceOptions,
} from './application/api-key.service';
export { WorkspaceService } from './application/workspace.service';
export { KeyVerifier, type VerifiedKey, type KeyVerifierStats } from './application/key-verifier';
export {
  BootstrapWorkspaceUseCase,
  bootstrapWorkspace,
  type BootstrapWorkspaceCommand,
  type BootstrapWorkspaceResult,
} from './application/bootstrap-workspace.use-case';

export {
  TENANCY_SCHEMA,
  TENANCY_ENTITIES,
  WorkspaceEntity,
  ApiKeyEntity,
} from './infrastructure/tenancy.entities';
export { TENANCY_MIGRATIONS, CreateTenancySchema1763900000000 } from './infrastructure/migrations';
export {
  TypeOrmWorkspaceRepository,
  TypeOrmApiKeyRepository,
} from './infrastructure/typeorm-tenancy.repositories';
export {
  NatsKeyChangeBus,
  keyChangedSubject,
  type NatsKeyChangeBusOptions,
} from './infrastructure/nats-key-change-bus';

export {
  TenancyModule,
  TENANCY_OPTIONS,
  TENANCY_KEY_CHANGE_BUS,
  TENANCY_WORKSPACE_REPOSITORY,
  TENANCY_API_KEY_REPOSITORY,
  TENANCY_CLOCK,
  type TenancyModuleOptions,
  type TenancyModuleAsyncOptions,
  type TenancyModuleShape,
} from './interface/tenancy.module';
export { ApiKeyGuard, extractApiKey } from './interface/http/api-key.guard';
export {
  Public,
  RequireScopes,
  CurrentTenant,
  IS_PUBLIC_KEY,
  REQUIRED_SCOPES_KEY,
  TENANT_REQUEST_PROPERTY,
  type TenantRequest,
} from './interface/http/tenancy.decorators';
export { ApiKeysController } from './interface/http/api-keys.controller';
export { WorkspacesController } from './interface/http/workspaces.controller';
export { KeyLifecycleDto } from './interface/http/tenancy.dto';

export {
  InMemoryWorkspaceRepository,
  InMemoryApiKeyRepository,
  ManualClock,
} from './testing/in-memory-tenancy.repositories';
export { runBootstrapCli } from './cli/bootstrap-workspace.cli';
