/** Tunables of scheduled work (from the service's env). */
export interface SegmentationSettings {
  /** How often due time-window re-checks are looked for. */
  readonly recheckIntervalMs: number;
  /** Period of the safety-net batch evaluation of every segment (0: never). */
  readonly batchIntervalMs: number;
}

export const SEGMENTATION_SETTINGS = Symbol('SEGMENTATION_SETTINGS');
