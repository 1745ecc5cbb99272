import { z } from '@cdp/config';

/** Variables of the profile service beyond the shared ones. */
export const profileEnv = {
  PROFILE_NOTE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(1024 * 1024)
    .describe(
      'largest note/document (title + body, UTF-8 bytes) accepted by the API; larger → 413',
    ),
};

export interface ProfileServiceConfig {
  readonly PROFILE_NOTE_MAX_BYTES: number;
}
