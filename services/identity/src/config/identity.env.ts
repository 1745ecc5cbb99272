import { z } from '@cdp/config';
import { SOURCE_KINDS, type SourceKind } from '../resolution/domain/identity-config';

/** Variables of the identity service beyond the shared ones. */
export const identityEnv = {
  IDENTITY_SOURCE_KINDS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const kinds: Record<string, SourceKind> = {};
      for (const entry of value
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean)) {
        const [sourceId, kind] = entry.split('=').map((s) => s.trim());
        if (!sourceId || !(SOURCE_KINDS as readonly string[]).includes(kind ?? '')) {
          ctx.addIssue({
            code: 'custom',
            message: `expected a comma list of <sourceId>=<${SOURCE_KINDS.join('|')}>, got "${entry}"`,
          });
          return z.NEVER;
        }
        kinds[sourceId] = kind as SourceKind;
      }
      return kinds;
    })
    .describe(
      "static source kinds (src_x=server,...) for sources outside ingestion's registry; " +
        'every other source kind is asked from the registry (cdp.query.ingestion.source-kind.v1)',
    ),
};

export interface IdentityServiceConfig {
  readonly IDENTITY_SOURCE_KINDS: Readonly<Record<string, SourceKind>>;
}
