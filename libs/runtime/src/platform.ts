import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { z } from 'zod';
import { baseEnv, clickhouseEnv, loadConfig, port, type EnvSchema } from '@cdp/config';
import { JetStreamServer } from '@cdp/messaging';
import {
  createLogger,
  HealthRegistry,
  ObservabilityModule,
  PinoNestLogger,
} from '@cdp/observability';
import { TenancyModule } from '@cdp/tenancy';
import {
  openInfrastructure,
  type PlatformConfig,
  type PlatformInfrastructure,
} from './infrastructure';
import type { ServiceDefinition } from './service-definition';
import { PlatformExceptionFilter } from './platform-exception.filter';

const log = createLogger('runtime');

export interface PlatformOptions {
  /** `monolith` serves every hosted service on one port (default 8080). */
  readonly mode: 'monolith' | 'standalone';
  readonly env?: Record<string, string | undefined>;
  /** Overrides PORT (tests use 0 for an ephemeral port). */
  readonly port?: number;
}

export interface RunningPlatform {
  readonly app: NestFastifyApplication;
  readonly infrastructure: PlatformInfrastructure;
  readonly url: string;
  readonly services: readonly string[];
  close(): Promise<void>;
}

/** The env schema of a process hosting these services: the union of their variables. */
export function platformEnvSchema(
  definitions: readonly ServiceDefinition[],
  mode: PlatformOptions['mode'],
): EnvSchema {
  const shape: Record<string, z.ZodType> = { ...baseEnv };
  for (const definition of definitions) Object.assign(shape, definition.env.shape);
  if (definitions.some((d) => d.clickhouse)) Object.assign(shape, clickhouseEnv);
  if (mode === 'monolith') {
    shape.PORT = port(8080).describe('HTTP port of the process');
    shape.CDP_SERVICES = z
      .string()
      .optional()
      .describe('services to host in monolithic mode (comma list or "all")');
  }
  return z.object(shape);
}

@Module({})
class PlatformModule {}

/**
 * Boots the given services in one process: connects and migrates their stores, mounts their
 * routes on one HTTP server, attaches the JetStream transport for their handlers, and serves
 * health, metrics and OpenAPI docs once.
 */
export async function startPlatform(
  definitions: readonly ServiceDefinition[],
  options: PlatformOptions,
): Promise<RunningPlatform> {
  const config = loadConfig(
    platformEnvSchema(definitions, options.mode),
    options.env ?? process.env,
  ) as PlatformConfig & Record<string, unknown> & { PORT: number; SHUTDOWN_TIMEOUT_MS: number };
  const processName =
    options.mode === 'monolith' ? 'cdp-monolith' : `cdp-${definitions[0]?.name ?? 'service'}`;
  const infrastructure = await openInfrastructure(definitions, config, processName);
  try {
    const health = new HealthRegistry();
    for (const service of infrastructure.services) {
      for (const [name, check] of Object.entries(service.readiness))
        health.register(`${service.service}.${name}`, check);
    }
    const root: DynamicModule = {
      module: PlatformModule,
      imports: [
        ObservabilityModule.forRoot({ health }),
        TenancyModule.register({
          dataSource: infrastructure.tenancy,
          nats: infrastructure.nats,
          namespace: infrastructure.namespace.value,
        }),
        ...infrastructure.services.map((service) => {
          const definition = definitions.find((d) => d.name === service.service);
          if (!definition) throw new Error(`no definition for ${service.service}`);
          return definition.module(service);
        }),
      ],
    };
    const app = await NestFactory.create<NestFastifyApplication>(
      root,
      new FastifyAdapter({ bodyLimit: 1024 * 1024, trustProxy: true }),
      { logger: new PinoNestLogger(), abortOnError: false },
    );
    app.useGlobalFilters(new PlatformExceptionFilter());
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle(
          options.mode === 'monolith'
            ? 'CDP platform'
            : `CDP ${definitions[0]?.name ?? ''} service`,
        )
        .setDescription(`Services: ${definitions.map((d) => d.name).join(', ')}`)
        .setVersion('v1')
        .addBearerAuth()
        .build(),
    );
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });

    app.connectMicroservice(
      {
        strategy: new JetStreamServer({
          connection: infrastructure.nats,
          namespace: infrastructure.namespace,
          shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
          // The runtime drains the shared connection itself, after every service has stopped.
          drainConnection: false,
        }),
      },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.listen({ port: options.port ?? config.PORT, host: '0.0.0.0' });
    const address = app.getHttpServer().address();
    const boundPort =
      typeof address === 'object' && address ? address.port : (options.port ?? config.PORT);
    const url = `http://127.0.0.1:${boundPort}`;
    log.info({ url, services: definitions.map((d) => d.name) }, 'platform started');

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        await app.close(); // stops HTTP, drains the JetStream transport: in-flight handlers finish or are redelivered
        await infrastructure.close();
      })());
    return { app, infrastructure, url, services: definitions.map((d) => d.name), close };
  } catch (error) {
    await infrastructure.close();
    throw error;
  }
}

/** Closes the platform on SIGTERM/SIGINT within the shutdown timeout, then exits. */
export function closeOnSignals(platform: RunningPlatform, timeoutMs: number): void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    received = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown timed out: unacknowledged messages will be redelivered');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    platform.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
