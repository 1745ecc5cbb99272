import { SpanKind } from '@opentelemetry/api';
import type { FinishedSpan } from '@cdp/observability';

/** Path of an HTTP server span (old and new semantic conventions), without the query string. */
export function pathOf(span: FinishedSpan): string | undefined {
  const path = span.attributes['url.path'] ?? span.attributes['http.target'];
  return typeof path === 'string' ? path.split('?')[0] : undefined;
}

/** The HTTP server span of `POST <path>`, if it finished. */
export function findServerSpan(
  spans: readonly FinishedSpan[],
  path: string,
): FinishedSpan | undefined {
  return spans.find((s) => s.kind === SpanKind.SERVER && pathOf(s) === path);
}

/** SQL text of a pg span (old and new semantic conventions). */
export function statementOf(span: FinishedSpan): string | undefined {
  const text = span.attributes['db.query.text'] ?? span.attributes['db.statement'];
  return typeof text === 'string' ? text : undefined;
}

/**
 * Walks the parent chain of `span` through the finished spans of its trace, nearest parent
 * first. Stops at a root or at a parent that is not among `spans` (then the last element's
 * `parentSpanContext` names the missing span).
 */
export function ancestorsOf(span: FinishedSpan, spans: readonly FinishedSpan[]): FinishedSpan[] {
  const bySpanId = new Map(
    spans
      .filter((s) => s.spanContext().traceId === span.spanContext().traceId)
      .map((s) => [s.spanContext().spanId, s] as const),
  );
  const chain: FinishedSpan[] = [];
  let current = span;
  for (let parentId = current.parentSpanContext?.spanId; parentId !== undefined;) {
    const parent = bySpanId.get(parentId);
    if (parent === undefined || chain.includes(parent)) break;
    chain.push(parent);
    current = parent;
    parentId = current.parentSpanContext?.spanId;
  }
  return chain;
}

/** One line per span, for assertion messages: `kind name trace/span <- parent`. */
export function describeSpans(spans: readonly FinishedSpan[]): string {
  return spans
    .map(
      (s) =>
        `${SpanKind[s.kind]} ${s.name} ${s.spanContext().traceId}/${s.spanContext().spanId}` +
        ` <- ${s.parentSpanContext?.spanId ?? 'root'}${s.parentSpanContext?.isRemote ? ' (remote)' : ''}`,
    )
    .join('\n');
}

/** Polls `probe` until it returns a value (spans end asynchronously after acks and replies). */
export async function eventually<T>(
  probe: () => T | undefined,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
