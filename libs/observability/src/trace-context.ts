import { context, propagation, type Context } from '@opentelemetry/api';

/** Minimal header carrier so messaging can inject/extract W3C trace context without OTel types. */
export interface HeaderCarrier {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

/** Writes `traceparent`/`tracestate` of the active context into message headers. */
export function injectTraceContext(carrier: HeaderCarrier, ctx: Context = context.active()): void {
  propagation.inject(ctx, carrier, {
    set: (c, key, value) => c.set(key, value),
  });
}

/** Builds the context a consumer should run its handler in, from message headers. */
export function extractTraceContext(carrier: HeaderCarrier): Context {
  return propagation.extract(context.active(), carrier, {
    get: (c, key) => c.get(key),
    keys: () => ['traceparent', 'tracestate', 'baggage'],
  });
}
