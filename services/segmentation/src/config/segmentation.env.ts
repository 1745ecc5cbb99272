import { z } from '@cdp/config';

/** Variables of the segmentation service beyond the shared ones. */
export const segmentationEnv = {
  SEGMENTATION_RECHECK_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(1000)
    .describe('how often due time-window re-checks are run (people leaving "last T" windows)'),
  SEGMENTATION_BATCH_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(3_600_000)
    .describe('period of the safety-net batch evaluation of every segment (0 disables)'),
};

export interface SegmentationServiceConfig {
  SEGMENTATION_RECHECK_INTERVAL_MS: number;
  SEGMENTATION_BATCH_INTERVAL_MS: number;
}
