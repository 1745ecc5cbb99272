import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Module,
  Optional,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { HealthController } from './health.controller';
import { HealthRegistry } from './health-registry';
import { installHttpMetrics } from './http-metrics';
import { MetricsController } from './metrics.controller';

export interface ObservabilityModuleOptions {
  /** The registry to serve (the runtime fills it before Nest starts); a new empty one otherwise. */
  readonly health?: HealthRegistry;
  /** Timeout of each readiness check when the module creates the registry. Default 2000 ms. */
  readonly healthTimeoutMs?: number;
  /**
   * An extra decorator marking the probe and metrics controllers as public for an auth guard
   * that does not read `PUBLIC_ROUTE_KEY` (which they always carry).
   */
  readonly publicDecorator?: () => MethodDecorator & ClassDecorator;
  /** Observe `http_request_duration_seconds` on the fastify instance. Default true. */
  readonly httpMetrics?: boolean;
}

const decorated = new WeakSet<() => unknown>();
const MODULE_SETTINGS = Symbol('cdp:observability:settings');
interface ModuleSettings {
  readonly httpMetrics: boolean;
}

/**
 * `/health/live`, `/health/ready`, `/metrics`, the HTTP latency histogram and a global
 * `HealthRegistry`. These are process-wide: import `ObservabilityModule.forRoot()` ONCE, in the
 * root module of the process (the runtime's platform module), never in a service module, so
 * the routes exist once and sit outside any service's route prefix. Services inject
 * `HealthRegistry` (global) and register their checks as `<service>.<name>`.
 */
@Module({})
export class ObservabilityModule implements BeforeApplicationShutdown {
  constructor(
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(MODULE_SETTINGS) settings: ModuleSettings,
    @Optional() @Inject(HttpAdapterHost) adapterHost?: HttpAdapterHost,
  ) {
    // Runs while Nest instantiates providers, before it registers routes and listens.
    const instance: unknown = adapterHost?.httpAdapter?.getInstance?.();
    if (settings.httpMetrics && isFastify(instance)) {
      installHttpMetrics(instance);
    }
  }

  static forRoot(options: ObservabilityModuleOptions = {}): DynamicModule {
    const { publicDecorator } = options;
    if (publicDecorator && !decorated.has(publicDecorator)) {
      decorated.add(publicDecorator);
      publicDecorator()(HealthController);
      publicDecorator()(MetricsController);
    }
    const health =
      options.health ?? new HealthRegistry({ timeoutMs: options.healthTimeoutMs ?? 2000 });
    return {
      module: ObservabilityModule,
      global: true,
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: HealthRegistry, useValue: health },
        {
          provide: MODULE_SETTINGS,
          useValue: { httpMetrics: options.httpMetrics ?? true } satisfies ModuleSettings,
        },
      ],
      exports: [HealthRegistry],
    };
  }

  /** Readiness turns 503 as soon as shutdown starts, so load balancers stop sending traffic. */
  beforeApplicationShutdown(): void {
    this.health.drain();
  }
}

function isFastify(instance: unknown): instance is FastifyInstance {
  return (
    typeof instance === 'object' &&
    instance !== null &&
    typeof (instance as Partial<FastifyInstance>).addHook === 'function' &&
    typeof (instance as Partial<FastifyInstance>).route === 'function'
  );
}
