import { z } from '@cdp/config';

/** Roles one profile process plays: the HTTP API and/or the projection consumers. */
export const PROFILE_ROLES = ['api', 'projector'] as const;
export type ProfileRole = (typeof PROFILE_ROLES)[number];

/** Variables of the profile service beyond the shared ones. */
export const profileEnv = {
  PROFILE_ROLES: z
    .string()
    .default('api,projector')
    .transform((value, ctx) => {
      const roles = value
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean);
      const unknown = roles.filter((r) => !(PROFILE_ROLES as readonly string[]).includes(r));
      if (roles.length === 0 || unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a comma list of ${PROFILE_ROLES.join(', ')}`,
        });
        return z.NEVER;
      }
      return roles as ProfileRole[];
    })
    .describe(
      'what this process runs: api (HTTP API), projector (IDENTITY consumers + outbox relay), ' +
        'or both; split them so projection CPU never delays API reads',
    ),
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
  readonly PROFILE_ROLES: readonly ProfileRole[];
  readonly PROFILE_NOTE_MAX_BYTES: number;
}
