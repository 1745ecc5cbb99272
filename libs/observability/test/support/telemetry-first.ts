// Imported FIRST by test files that assert on spans, exactly as a service's `src/instrument.ts`
// is imported first by its `main.ts`: the SDK must patch `http` and `pg` before Nest, fastify
// or pg are required. CommonJS keeps import order, so the importing file's later imports load
// after this module has run.
import { startTelemetry } from '../../src/telemetry';

export const telemetry = startTelemetry({
  serviceName: 'observability-trace-test',
  exporter: 'memory',
});
