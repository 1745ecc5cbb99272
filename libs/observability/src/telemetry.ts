import type { IncomingMessage } from 'node:http';
import {
  context,
  diag,
  DiagLogLevel,
  type SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
// The SDK's own copies of core/resources/sdk-trace-base: processors and exporters handed to
// NodeSDK must come from the same version NodeSDK was built against.
import { core, NodeSDK, resources, tracing } from '@opentelemetry/sdk-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { createLogger } from './logger';

export { SpanKind } from '@opentelemetry/api';

/** Where finished spans go. `none` keeps propagation (trace ids in headers and logs) but records nothing. */
export type TelemetryExporter = 'otlp' | 'memory' | 'none';

export interface TelemetryOptions {
  /** `service.name` of the resource: `cdp-identity`, `cdp-monolith`... */
  readonly serviceName: string;
  /**
   * Defaults to `otlp` when `otlpEndpoint` or `OTEL_EXPORTER_OTLP_ENDPOINT` /
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, `none` otherwise.
   */
  readonly exporter?: TelemetryExporter;
  /** Base OTLP/HTTP endpoint (`http://collector:4318`); `/v1/traces` is appended. Overrides the env. */
  readonly otlpEndpoint?: string;
  /** Extra resource attributes (`service.version`, `deployment.environment.name`...). */
  readonly resourceAttributes?: Attributes;
}

/** A finished span as the SDK hands it to exporters (for assertions on `memoryExporter`). */
export type FinishedSpan = tracing.ReadableSpan;
export type MemorySpanExporter = tracing.InMemorySpanExporter;

export interface TelemetryHandle {
  readonly serviceName: string;
  readonly exporter: TelemetryExporter;
  /** Set when `exporter` is `memory`: read spans with `getFinishedSpans()`, clear with `reset()`. */
  readonly memoryExporter?: MemorySpanExporter;
  /** Flushes pending spans and stops the SDK. Idempotent. */
  shutdown(): Promise<void>;
}

/** Paths that never get a server span: probes and scrapes would drown the real traffic. */
export function isUntracedPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?', 1)[0] ?? '';
  return path === '/metrics' || path.startsWith('/health/');
}

// On globalThis rather than in a module variable so that two copies of this file (a stale
// dist, a second node_modules) still share one SDK per process.
const HANDLE = Symbol.for('@cdp/observability/telemetry');
type GlobalWithHandle = typeof globalThis & { [HANDLE]?: TelemetryHandle };

/**
 * Starts OpenTelemetry for this process: W3C trace-context + baggage propagation, the
 * AsyncLocalStorage context manager, HTTP and pg instrumentation, and the chosen exporter.
 *
 * Call it ONCE, FIRST: instrumentation patches `http` and `pg` as they are required, so a
 * service's `src/instrument.ts` calls this and `main.ts` imports `./instrument` before anything
 * else (Nest, fastify, pg, TypeORM). Import it from `@cdp/observability/telemetry`, which loads
 * only the SDK. Later calls return the first handle (monolithic mode hosts several services in
 * one process, and the process has one SDK).
 */
export function startTelemetry(options: TelemetryOptions): TelemetryHandle {
  const registry = globalThis as GlobalWithHandle;
  const existing = registry[HANDLE];
  if (existing) {
    if (existing.serviceName !== options.serviceName) {
      createLogger('telemetry').debug(
        { running: existing.serviceName, requested: options.serviceName },
        'telemetry already started: keeping the first configuration',
      );
    }
    return existing;
  }
  const handle = createTelemetry(options);
  registry[HANDLE] = handle;
  return handle;
}

function createTelemetry(options: TelemetryOptions): TelemetryHandle {
  const log = createLogger('telemetry');
  diag.setLogger(
    {
      error: (message, ...args) => log.error({ args }, message),
      warn: (message, ...args) => log.warn({ args }, message),
      info: (message, ...args) => log.debug({ args }, message),
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );

  const envEndpoint =
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const exporter: TelemetryExporter =
    options.exporter ?? (options.otlpEndpoint || envEndpoint ? 'otlp' : 'none');

  let memoryExporter: tracing.InMemorySpanExporter | undefined;
  const spanProcessors: tracing.SpanProcessor[] = [];
  switch (exporter) {
    case 'otlp': {
      // Without `url` the exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT itself.
      const url = options.otlpEndpoint ? tracesUrl(options.otlpEndpoint) : undefined;
      spanProcessors.push(
        new tracing.BatchSpanProcessor(new OTLPTraceExporter(url ? { url } : {})),
      );
      break;
    }
    case 'memory':
      memoryExporter = new tracing.InMemorySpanExporter();
      spanProcessors.push(new tracing.SimpleSpanProcessor(memoryExporter));
      break;
    case 'none':
      break;
  }

  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    resource: resources.resourceFromAttributes({
      ...options.resourceAttributes,
      [ATTR_SERVICE_NAME]: options.serviceName,
    }),
    textMapPropagator: new core.CompositePropagator({
      propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()],
    }),
    // An empty list (not undefined) so NodeSDK does not fall back to its env defaults, which
    // would ship spans and logs to localhost:4318 when nothing is configured.
    spanProcessors,
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => isUntracedPath(request.url),
      }),
      // requireParentSpan: pool keep-alives and readiness probes would otherwise each start a trace.
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    ],
  });
  sdk.start();
  log.info({ service: options.serviceName, exporter }, 'telemetry started');

  let stopping: Promise<void> | undefined;
  return {
    serviceName: options.serviceName,
    exporter,
    ...(memoryExporter ? { memoryExporter } : {}),
    shutdown: () => (stopping ??= sdk.shutdown()),
  };
}

function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

/** A tracer for hand-made spans; `name` is the instrumentation scope (`@cdp/messaging`, `identity`). */
export function tracer(name: string): Tracer {
  return trace.getTracer(name);
}

/**
 * Runs `fn` inside a new active span and ends it when `fn` settles. A thrown error is recorded
 * on the span (status ERROR) and rethrown. `parent` overrides the active context, e.g. the
 * context `extractTraceContext` built from a message's headers.
 */
export async function withSpan<T>(
  name: string,
  kind: SpanKind,
  fn: (span: Span) => Promise<T> | T,
  attributes?: Attributes,
  parent?: Context,
): Promise<T> {
  return tracer('@cdp/observability').startActiveSpan(
    name,
    { kind, ...(attributes ? { attributes } : {}) },
    parent ?? context.active(),
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error));
        span.recordException(err);
        span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
