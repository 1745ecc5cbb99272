import { createHash } from 'node:crypto';

/**
 * The messageId of an imported row that has none: a hash of (source, line, row content), so
 * importing the same file again (or resuming it) yields the same ids and the collector's
 * messageId dedup window drops the repeats instead of duplicating events.
 */
export function importMessageId(sourceId: string, line: number, content: string): string {
  const contentHash = createHash('sha256').update(content).digest('hex');
  const digest = createHash('sha256')
    .update(`${sourceId}\n${line}\n${contentHash}`)
    .digest('hex')
    .slice(0, 32);
  return `imp-${digest}`;
}

/** Gives `event` a deterministic messageId when it has none (or an empty one). */
export function withImportMessageId(
  event: Record<string, unknown>,
  sourceId: string,
  line: number,
  content: string,
): Record<string, unknown> {
  if (typeof event.messageId === 'string' && event.messageId !== '') return event;
  return { ...event, messageId: importMessageId(sourceId, line, content) };
}
