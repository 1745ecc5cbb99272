export interface Workspace {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Workspace ids are UUIDs; anything else cannot exist (and must never reach a uuid column). */
export function isWorkspaceId(value: string): boolean {
  return UUID_PATTERN.test(value);
}

export const WORKSPACE_NAME_MAX_LENGTH = 100;
