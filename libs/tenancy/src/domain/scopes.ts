/**
 * The scope vocabulary of secret API keys.
 *
 * - `admin` implies every scope.
 * - `<area>:write` implies `<area>:read`.
 *
 * Source write keys (issued by ingestion) are a different credential and carry no scope here:
 * they may only call the collect endpoints, which are `@Public()` for this guard.
 */
export const SCOPE_AREAS = [
  'workspaces',
  'keys',
  'sources',
  'events',
  'identity',
  'profiles',
  'segments',
  'crm',
  'activation',
  'privacy',
] as const;
export type ScopeArea = (typeof SCOPE_AREAS)[number];
export type ScopeAction = 'read' | 'write';
export type Scope = 'admin' | `${ScopeArea}:${ScopeAction}`;

export const ADMIN_SCOPE = 'admin' satisfies Scope;

/** Every scope of the vocabulary, `admin` first. */
export const ALL_SCOPES: readonly Scope[] = [
  ADMIN_SCOPE,
  ...SCOPE_AREAS.flatMap((area) => [`${area}:read`, `${area}:write`] as const),
];

const SCOPE_SET: ReadonlySet<string> = new Set(ALL_SCOPES);

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && SCOPE_SET.has(value);
}

/** Whether a key holding `granted` may do what `required` protects. */
export function hasScope(granted: readonly Scope[], required: Scope): boolean {
  if (granted.includes(ADMIN_SCOPE)) return true;
  if (granted.includes(required)) return true;
  if (required === ADMIN_SCOPE) return false;
  const [area, action] = required.split(':') as [ScopeArea, ScopeAction];
  return action === 'read' && granted.includes(`${area}:write`);
}

/** Whether `granted` covers every scope of `required` (an empty `required` is always covered). */
export function hasAllScopes(granted: readonly Scope[], required: readonly Scope[]): boolean {
  return required.every((scope) => hasScope(granted, scope));
}

/** Deduplicated, sorted, without scopes implied by others (`admin` alone absorbs everything). */
export function normalizeScopes(scopes: readonly Scope[]): Scope[] {
  if (scopes.includes(ADMIN_SCOPE)) return [ADMIN_SCOPE];
  const unique = [...new Set(scopes)];
  return unique
    .filter(
      (scope) =>
        !(scope.endsWith(':read') && unique.includes(scope.replace(/:read$/, ':write') as Scope)),
    )
    .sort();
}

/** The scopes of `requested` that `granted` does not cover (what a key may not delegate). */
export function missingScopes(granted: readonly Scope[], requested: readonly Scope[]): Scope[] {
  return requested.filter((scope) => !hasScope(granted, scope));
}
