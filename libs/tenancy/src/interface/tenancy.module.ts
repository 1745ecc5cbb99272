import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OnApplicationShutdown,
  type OptionalFactoryDependency,
  type Provider,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { type NatsConnection } from '@nats-io/transport-node';
import { type DataSource } from 'typeorm';
import { ApiKeyService } from '../application/api-key.service';
import { BootstrapWorkspaceUseCase } from '../application/bootstrap-workspace.use-case';
import { KeyVerifier } from '../application/key-verifier';
import { LocalKeyChangeBus } from '../application/local-key-change-bus';
import {
  systemClock,
  type ApiKeyRepository,
  type Clock,
  type KeyChangeBus,
  type WorkspaceRepository,
} from '../application/ports';
import { WorkspaceService } from '../application/workspace.service';
import { type VerificationCacheOptions } from '../domain/verification-cache';
import { NatsKeyChangeBus } from '../infrastructure/nats-key-change-bus';
import {
  TypeOrmApiKeyRepository,
  TypeOrmWorkspaceRepository,
} from '../infrastructure/typeorm-tenancy.repositories';
import { ApiKeyGuard } from './http/api-key.guard';
import { ApiKeysController } from './http/api-keys.controller';
import { WorkspacesController } from './http/workspaces.controller';

export interface TenancyModuleOptions {
  /** A DataSource that can reach the `tenancy` schema (entities need not be registered on it). */
  readonly dataSource?: DataSource;
  /** Instead of `dataSource`: repositories to use (e.g. in-memory fakes in tests). */
  readonly repositories?: {
    readonly workspaces: WorkspaceRepository;
    readonly apiKeys: ApiKeyRepository;
  };
  /** Core NATS connection for cross-process invalidation. Without it (and without `bus`) invalidation stays in-process. */
  readonly nats?: NatsConnection;
  /** Instead of `nats`: a ready bus. */
  readonly bus?: KeyChangeBus;
  /** Subject namespace (NATS_NAMESPACE): the subject becomes `<namespace>.cdp.query.tenancy.key.changed.v1`. */
  readonly namespace?: string;
  readonly clock?: Clock;
  readonly cache?: Partial<VerificationCacheOptions>;
  /** Default rotation grace (24 h). */
  readonly rotationGraceMs?: number;
}

export interface TenancyModuleShape {
  /** Mount `/v1/workspaces` and `/v1/api-keys` (default true). Mount them once per HTTP app. */
  readonly controllers?: boolean;
  /** Register ApiKeyGuard as APP_GUARD (default true). */
  readonly globalGuard?: boolean;
}

export interface TenancyModuleAsyncOptions extends TenancyModuleShape {
  readonly imports?: ModuleMetadata['imports'];
  readonly inject?: (InjectionToken | OptionalFactoryDependency)[];
  readonly useFactory: (...args: never[]) => TenancyModuleOptions | Promise<TenancyModuleOptions>;
}

export const TENANCY_OPTIONS = 'cdp.tenancy.options';
export const TENANCY_WORKSPACE_REPOSITORY = 'cdp.tenancy.workspace-repository';
export const TENANCY_API_KEY_REPOSITORY = 'cdp.tenancy.api-key-repository';
export const TENANCY_KEY_CHANGE_BUS = 'cdp.tenancy.key-change-bus';
export const TENANCY_CLOCK = 'cdp.tenancy.clock';

/** Built bus plus whether this module owns it (and must close it). */
interface OwnedBus {
  readonly bus: KeyChangeBus;
  readonly close?: () => void;
}
const TENANCY_OWNED_BUS = 'cdp.tenancy.owned-bus';

function repositories(options: TenancyModuleOptions): {
  workspaces: WorkspaceRepository;
  apiKeys: ApiKeyRepository;
} {
  if (options.repositories !== undefined) return options.repositories;
  if (options.dataSource === undefined)
    throw new Error('TenancyModule needs `dataSource` or `repositories`');
  return {
    workspaces: new TypeOrmWorkspaceRepository(options.dataSource),
    apiKeys: new TypeOrmApiKeyRepository(options.dataSource),
  };
}

@Injectable()
class TenancyLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(TENANCY_OWNED_BUS) private readonly owned: OwnedBus,
    @Inject(KeyVerifier) private readonly verifier: KeyVerifier,
  ) {}

  onApplicationShutdown(): void {
    this.verifier.close();
    this.owned.close?.();
  }
}

function coreProviders(): Provider[] {
  return [
    {
      provide: TENANCY_WORKSPACE_REPOSITORY,
      inject: [TENANCY_OPTIONS],
      useFactory: (o: TenancyModuleOptions) => repositories(o).workspaces,
    },
    {
      provide: TENANCY_API_KEY_REPOSITORY,
      inject: [TENANCY_OPTIONS],
      useFactory: (o: TenancyModuleOptions) => repositories(o).apiKeys,
    },
    {
      provide: TENANCY_CLOCK,
      inject: [TENANCY_OPTIONS],
      useFactory: (o: TenancyModuleOptions) => o.clock ?? systemClock,
    },
    {
      provide: TENANCY_OWNED_BUS,
      inject: [TENANCY_OPTIONS],
      useFactory: (o: TenancyModuleOptions): OwnedBus => {
        if (o.bus !== undefined) return { bus: o.bus };
        if (o.nats !== undefined) {
          const bus = new NatsKeyChangeBus(
            o.nats,
            o.namespace === undefined ? {} : { namespace: o.namespace },
          );
          bus.start();
          return { bus, close: () => bus.close() };
        }
        return { bus: new LocalKeyChangeBus() };
      },
    },
    {
      provide: TENANCY_KEY_CHANGE_BUS,
      inject: [TENANCY_OWNED_BUS],
      useFactory: (owned: OwnedBus) => owned.bus,
    },
    {
      provide: KeyVerifier,
      inject: [TENANCY_API_KEY_REPOSITORY, TENANCY_KEY_CHANGE_BUS, TENANCY_CLOCK, TENANCY_OPTIONS],
      useFactory: (
        keys: ApiKeyRepository,
        bus: KeyChangeBus,
        clock: Clock,
        o: TenancyModuleOptions,
      ) => new KeyVerifier(keys, bus, clock, o.cache ?? {}),
    },
    {
      provide: ApiKeyService,
      inject: [TENANCY_API_KEY_REPOSITORY, TENANCY_KEY_CHANGE_BUS, TENANCY_CLOCK, TENANCY_OPTIONS],
      useFactory: (
        keys: ApiKeyRepository,
        bus: KeyChangeBus,
        clock: Clock,
        o: TenancyModuleOptions,
      ) =>
        new ApiKeyService(
          keys,
          bus,
          clock,
          o.rotationGraceMs === undefined ? {} : { rotationGraceMs: o.rotationGraceMs },
        ),
    },
    {
      provide: WorkspaceService,
      inject: [TENANCY_WORKSPACE_REPOSITORY, TENANCY_CLOCK],
      useFactory: (workspaces: WorkspaceRepository, clock: Clock) =>
        new WorkspaceService(workspaces, clock),
    },
    {
      provide: BootstrapWorkspaceUseCase,
      inject: [WorkspaceService, ApiKeyService],
      useFactory: (workspaces: WorkspaceService, apiKeys: ApiKeyService) =>
        new BootstrapWorkspaceUseCase(workspaces, apiKeys),
    },
    ApiKeyGuard,
    TenancyLifecycle,
  ];
}

/**
 * Workspaces and secret API keys for any service, in-process. Global: register it once per
 * Nest application (in the monolith, once at the root, not once per hosted service).
 *
 * ```ts
 * TenancyModule.forRootAsync({
 *   inject: [DATA_SOURCE, NATS_CONNECTION, CONFIG],
 *   useFactory: (dataSource, nats, config) => ({ dataSource, nats, namespace: config.NATS_NAMESPACE }),
 * })
 * ```
 */
@Module({})
export class TenancyModule {
  /** With options already built (instances, not tokens). */
  static register(options: TenancyModuleOptions & TenancyModuleShape): DynamicModule {
    return TenancyModule.build({ provide: TENANCY_OPTIONS, useValue: options }, options, []);
  }

  /** With options built by a factory from other providers (DataSource, NATS connection, config). */
  static forRootAsync(options: TenancyModuleAsyncOptions): DynamicModule {
    return TenancyModule.build(
      { provide: TENANCY_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
      options,
      options.imports ?? [],
    );
  }

  private static build(
    optionsProvider: Provider,
    shape: TenancyModuleShape,
    imports: NonNullable<ModuleMetadata['imports']>,
  ): DynamicModule {
    const providers = [optionsProvider, ...coreProviders()];
    if (shape.globalGuard !== false)
      providers.push({ provide: APP_GUARD, useExisting: ApiKeyGuard });
    return {
      module: TenancyModule,
      global: true,
      imports,
      providers,
      controllers: shape.controllers === false ? [] : [WorkspacesController, ApiKeysController],
      exports: [
        KeyVerifier,
        ApiKeyService,
        WorkspaceService,
        BootstrapWorkspaceUseCase,
        ApiKeyGuard,
        TENANCY_KEY_CHANGE_BUS,
      ],
    };
  }
}
