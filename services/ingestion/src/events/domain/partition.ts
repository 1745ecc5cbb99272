/**
 * Partition of an event: hash(workspace, anonymousId ?? userId) mod N, so one person's events
 * stay in order within a partition. FNV-1a (32 bit): fast, stable across processes and
 * languages, good enough spread for routing.
 */
export function partitionOf(workspaceId: string, personKey: string, partitions: number): number {
  let hash = 0x811c9dc5;
  const input = `${workspaceId}\u0000${personKey}`;
  for (let i = 0; i < input.length; i++) {
    hash ^= input.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
