export interface BatchLimits {
  /** Flush once a batch holds this many items. */
  readonly maxItems: number;
  /** Flush before a batch body would exceed this many bytes. */
  readonly maxBytes: number;
}

/** Bytes a batch body `{"items":[...]}` adds around its items. */
export const BATCH_ENVELOPE_BYTES = '{"items":[]}'.length;

export interface BatchState {
  readonly items: number;
  /** Sum of the serialised item sizes. */
  readonly bytes: number;
}

/**
 * What to do with the next item of `itemBytes`:
 * - `flushBefore`: the current batch is full for this item, publish it first;
 * - `flushAfter`: once the item is added, the batch reached a limit, publish it now.
 * Both can be true. An item bigger than maxBytes on its own travels alone.
 */
export function planAdd(
  state: BatchState,
  itemBytes: number,
  limits: BatchLimits,
): { flushBefore: boolean; flushAfter: boolean } {
  const bodyBytes = (s: BatchState): number =>
    BATCH_ENVELOPE_BYTES + s.bytes + Math.max(0, s.items - 1);
  const flushBefore =
    state.items > 0 &&
    bodyBytes({ items: state.items + 1, bytes: state.bytes + itemBytes }) > limits.maxBytes;
  const after: BatchState = flushBefore
    ? { items: 1, bytes: itemBytes }
    : { items: state.items + 1, bytes: state.bytes + itemBytes };
  const flushAfter = after.items >= limits.maxItems || bodyBytes(after) >= limits.maxBytes;
  return { flushBefore, flushAfter };
}
