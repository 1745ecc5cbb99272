/** The outcome of a rebuild: how much was replayed and whether the result equals the live models. */
export interface RebuildResult {
  readonly events: number;
  readonly aggregates: number;
  /** Rows per read-model table, live before and rebuilt after. */
  readonly tables: Readonly<Record<string, { live: number; rebuilt: number }>>;
  readonly equal: boolean;
  /** The first differing rows (table, id), when not equal. */
  readonly differences: readonly { table: string; id: string }[];
  /** True when the rebuilt models were rolled back (verify only). */
  readonly verifyOnly: boolean;
}

export interface ReadModelRebuilder {
  rebuild(workspaceId: string, options: { verifyOnly: boolean }): Promise<RebuildResult>;
}
