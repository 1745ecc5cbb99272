import { type DebuggerEntry } from './event-debugger.port';

/**
 * Asks every ingestion process (this one included) for its latest entries of a source
 * (scatter-gather, see docs/adr/0006-ingestion-debugger.md). Resolves with one list per process
 * that answered in time; rejects when none could be asked (e.g. NATS down).
 */
export interface DebuggerPeers {
  gather(
    workspaceId: string,
    sourceId: string,
    limit: number,
  ): Promise<readonly (readonly DebuggerEntry[])[]>;
}

export const DEBUGGER_PEERS = Symbol.for('cdp.ingestion.debugger-peers');
