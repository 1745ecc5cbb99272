import { createLogger } from '@cdp/observability';
import { type TenantContext } from '@cdp/tenancy';
import { type SourcesService } from '../../sources/application/sources.service';
import { mergeLatest } from '../domain/debugger-buffer';
import { type BufferedEventDebugger } from './buffered-event-debugger';
import { type DebuggerPeers } from './debugger-peers.port';
import { type DebuggerEntry } from './event-debugger.port';

export const DEBUGGER_DEFAULT_LIMIT = 50;
export const DEBUGGER_MAX_LIMIT = 500;

export interface SourceEvents {
  readonly data: DebuggerEntry[];
  /** True when other processes could not be asked: only this process's entries are shown. */
  readonly partial: boolean;
}

const log = createLogger('ingestion.debugger');

/** The live debugger view of a source: the latest entries of every ingestion process, merged. */
export class SourceEventsQuery {
  constructor(
    private readonly sources: SourcesService,
    private readonly local: BufferedEventDebugger,
    private readonly peers: DebuggerPeers,
  ) {}

  async execute(actor: TenantContext, sourceId: string, limit: number): Promise<SourceEvents> {
    const source = await this.sources.get(actor, sourceId); // 404 unless the caller's
    try {
      const lists = await this.peers.gather(source.workspaceId, source.id, limit);
      return { data: mergeLatest(lists, limit), partial: false };
    } catch (error) {
      log.warn({ err: error }, 'debugger scatter-gather failed; answering with local entries');
      return { data: this.local.latest(source.workspaceId, source.id, limit), partial: true };
    }
  }
}
