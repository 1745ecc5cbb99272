/** Whether a source exists (and may receive events) in a workspace. */
export interface ImportSourceLookup {
  /** False for an unknown source or another workspace's (the caller answers 404 alike). */
  exists(workspaceId: string, sourceId: string): Promise<boolean>;
}

export const IMPORT_SOURCE_LOOKUP = Symbol.for('cdp.ingestion.import-source-lookup');
