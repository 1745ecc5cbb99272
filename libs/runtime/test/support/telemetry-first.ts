// Imported FIRST by test files that assert on spans, exactly as a service's `src/instrument.ts`
// is imported first by its `main.ts`: the SDK must patch `http` and `pg` before Nest, fastify
// or pg are required. CommonJS keeps import order, so the importing file's later imports load
// after this module has run. `@cdp/observability/telemetry` loads the SDK only (no Nest).
import { startTelemetry } from '@cdp/observability/telemetry';

export const telemetry = startTelemetry({
  serviceName: 'runtime-trace-test',
  exporter: 'memory',
});
