import { type Clock } from '@cdp/tenancy';
import { DebuggerBuffer, type DebuggerBufferOptions } from '../domain/debugger-buffer';
import { type DebuggerEntry, type EventDebugger } from './event-debugger.port';

/**
 * The EVENT_DEBUGGER of this process: records into an in-memory, bounded, rate-limited buffer.
 * `record` never throws and never waits: the debugger must not slow or fail collection.
 */
export class BufferedEventDebugger implements EventDebugger {
  readonly buffer: DebuggerBuffer;

  constructor(
    private readonly clock: Clock,
    options: Partial<DebuggerBufferOptions> = {},
  ) {
    this.buffer = new DebuggerBuffer(options);
  }

  record(workspaceId: string, sourceId: string, entry: DebuggerEntry): void {
    try {
      this.buffer.record(workspaceId, sourceId, entry, this.clock.now().getTime());
    } catch {
      // A debugger sample is never worth failing an event for.
    }
  }

  latest(workspaceId: string, sourceId: string, limit: number): DebuggerEntry[] {
    return this.buffer.latest(workspaceId, sourceId, limit);
  }
}
