import type { z } from 'zod';

export type ParsedTenantBatch<T> =
  | { readonly ok: true; readonly items: readonly T[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Validates a consumed micro-batch `{ items: [...] }` with the consumer's own schema and checks
 * that every item belongs to the message's workspace (`cdp-workspace` header): a batch never
 * changes another tenant's data. A failure is a reason for the dead letter, never a throw.
 */
export function parseTenantBatch<T extends { readonly workspaceId: string }>(
  schema: z.ZodType<{ items: T[] }>,
  payload: unknown,
  workspaceId: string | undefined,
): ParsedTenantBatch<T> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') : '';
    return {
      ok: false,
      reason: `invalid event batch at "${where}": ${issue?.message ?? 'invalid'}`,
    };
  }
  if (workspaceId === undefined)
    return { ok: false, reason: 'message has no cdp-workspace header' };
  const stranger = parsed.data.items.findIndex((item) => item.workspaceId !== workspaceId);
  if (stranger >= 0)
    return {
      ok: false,
      reason: `items.${stranger}.workspaceId does not match the message workspace ${workspaceId}`,
    };
  return { ok: true, items: parsed.data.items };
}
