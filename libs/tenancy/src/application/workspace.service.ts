import { randomUUID } from 'node:crypto';
import { DomainError } from '@cdp/contracts';
import { isWorkspaceId, WORKSPACE_NAME_MAX_LENGTH, type Workspace } from '../domain/workspace';
import { type Clock, type TenantContext, type WorkspaceRepository } from './ports';

function workspaceNotFound(workspaceId: string): DomainError {
  return new DomainError('not_found', 'workspace.not_found', `workspace ${workspaceId} not found`, {
    workspaceId,
  });
}

/** Workspaces. A key only ever sees its own workspace. */
export class WorkspaceService {
  constructor(
    private readonly workspaces: WorkspaceRepository,
    private readonly clock: Clock,
  ) {}

  /** Creates a workspace (trusted callers: bootstrap, operators). Names are unique. */
  async create(input: { readonly name: string }): Promise<Workspace> {
    const name = input.name.trim();
    if (name.length === 0 || name.length > WORKSPACE_NAME_MAX_LENGTH) {
      throw new DomainError(
        'invalid',
        'workspace.invalid_name',
        `name must be 1 to ${WORKSPACE_NAME_MAX_LENGTH} characters`,
        { field: 'name' },
      );
    }
    const workspace: Workspace = { id: randomUUID(), name, createdAt: this.clock.now() };
    await this.workspaces.insert(workspace);
    return workspace;
  }

  findByName(name: string): Promise<Workspace | undefined> {
    return this.workspaces.findByName(name.trim());
  }

  /** 404 for any workspace but the caller's own, whether it exists or not. */
  async get(actor: TenantContext, workspaceId: string): Promise<Workspace> {
    if (workspaceId !== actor.workspaceId || !isWorkspaceId(workspaceId))
      throw workspaceNotFound(workspaceId);
    const workspace = await this.workspaces.findById(workspaceId);
    if (workspace === undefined) throw workspaceNotFound(workspaceId);
    return workspace;
  }

  /** The workspaces the caller can see: its own. */
  async list(actor: TenantContext): Promise<Workspace[]> {
    const workspace = await this.workspaces.findById(actor.workspaceId);
    return workspace === undefined ? [] : [workspace];
  }
}
