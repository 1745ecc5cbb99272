import { DomainError } from '@cdp/contracts';
import { ADMIN_SCOPE } from '../domain/scopes';
import { type Workspace } from '../domain/workspace';
import { type ApiKeyService, type IssuedApiKey } from './api-key.service';
import { type WorkspaceService } from './workspace.service';

export interface BootstrapWorkspaceCommand {
  readonly name: string;
  /** When the workspace exists: issue a new admin key for it instead of refusing (lost admin key). */
  readonly force?: boolean;
  readonly keyName?: string;
}

export interface BootstrapWorkspaceResult extends IssuedApiKey {
  readonly workspace: Workspace;
  /** False when `force` reused an existing workspace. */
  readonly created: boolean;
}

/**
 * Creates the first workspace and its admin key: the only way in before any key exists.
 * Refuses (conflict `workspace.exists`) when the name is taken, unless `force`.
 */
export class BootstrapWorkspaceUseCase {
  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly apiKeys: ApiKeyService,
  ) {}

  async execute(command: BootstrapWorkspaceCommand): Promise<BootstrapWorkspaceResult> {
    const existing = await this.workspaces.findByName(command.name);
    if (existing !== undefined && command.force !== true) {
      throw new DomainError(
        'conflict',
        'workspace.exists',
        `workspace "${existing.name}" already exists (use force to issue a new admin key)`,
        {
          workspaceId: existing.id,
        },
      );
    }
    const workspace = existing ?? (await this.workspaces.create({ name: command.name }));
    const issued = await this.apiKeys.issue(workspace.id, {
      name: command.keyName ?? 'bootstrap admin',
      scopes: [ADMIN_SCOPE],
    });
    return { ...issued, workspace, created: existing === undefined };
  }
}

export function bootstrapWorkspace(
  deps: { readonly workspaces: WorkspaceService; readonly apiKeys: ApiKeyService },
  command: BootstrapWorkspaceCommand,
): Promise<BootstrapWorkspaceResult> {
  return new BootstrapWorkspaceUseCase(deps.workspaces, deps.apiKeys).execute(command);
}
