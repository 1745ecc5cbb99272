/** One entry of a source's live debugger (Segment's source debugger). */
export type DebuggerEntry =
  | { readonly status: 'accepted'; readonly receivedAt: string; readonly event: unknown }
  | {
      readonly status: 'rejected';
      readonly receivedAt: string;
      /** The event as sent (truncated when huge) and why it was refused. */
      readonly event: unknown;
      readonly reasons: readonly { readonly field: string; readonly message: string }[];
    };

/** Records a sample of what a source receives; must never slow or fail collection. */
export interface EventDebugger {
  record(workspaceId: string, sourceId: string, entry: DebuggerEntry): void;
}

export const EVENT_DEBUGGER = Symbol.for('cdp.ingestion.event-debugger');
