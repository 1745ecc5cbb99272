// Imported first by main.ts: telemetry must patch http/pg before anything loads them.
import { startTelemetry } from '@cdp/observability/telemetry';

startTelemetry({ serviceName: 'cdp-identity' });
