import { parseArgs } from 'node:util';
import { baseEnv, loadConfig, z } from '@cdp/config';
import { DomainError } from '@cdp/contracts';
import { openPostgres } from '@cdp/persistence';
import { ApiKeyService } from '../application/api-key.service';
import {
  BootstrapWorkspaceUseCase,
  type BootstrapWorkspaceResult,
} from '../application/bootstrap-workspace.use-case';
import { LocalKeyChangeBus } from '../application/local-key-change-bus';
import { systemClock } from '../application/ports';
import { WorkspaceService } from '../application/workspace.service';
import { TENANCY_MIGRATIONS } from '../infrastructure/migrations';
import { TENANCY_ENTITIES, TENANCY_SCHEMA } from '../infrastructure/tenancy.entities';
import {
  TypeOrmApiKeyRepository,
  TypeOrmWorkspaceRepository,
} from '../infrastructure/typeorm-tenancy.repositories';

const USAGE = 'usage: cdp bootstrap --name <workspace name> [--force] [--key-name <name>]';

/**
 * Creates the first workspace and its admin key, printing the key once (JSON on stdout).
 * Runs the tenancy migrations first (idempotent). `--force` issues a new admin key for an
 * existing workspace (lost admin key). Returns the process exit code.
 */
export async function runBootstrapCli(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
  out: { log(line: string): void; error(line: string): void } = console,
): Promise<number> {
  let values: { name?: string; force?: boolean; 'key-name'?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        name: { type: 'string' },
        force: { type: 'boolean' },
        'key-name': { type: 'string' },
      },
    }));
  } catch (error) {
    out.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.name === undefined || values.name.trim().length === 0) {
    out.error(USAGE);
    return 2;
  }
  const config = loadConfig(z.object({ DATABASE_URL: baseEnv.DATABASE_URL }), env);
  // Same data source and migration bookkeeping as the running services: creates the database
  // when missing and applies the tenancy migrations once.
  const dataSource = await openPostgres({
    url: config.DATABASE_URL,
    schema: TENANCY_SCHEMA,
    entities: [...TENANCY_ENTITIES],
    migrations: [...TENANCY_MIGRATIONS],
    poolSize: 2,
  });
  try {
    const apiKeys = new ApiKeyService(
      new TypeOrmApiKeyRepository(dataSource),
      new LocalKeyChangeBus(),
      systemClock,
    );
    const workspaces = new WorkspaceService(
      new TypeOrmWorkspaceRepository(dataSource),
      systemClock,
    );
    const result: BootstrapWorkspaceResult = await new BootstrapWorkspaceUseCase(
      workspaces,
      apiKeys,
    ).execute({
      name: values.name,
      force: values.force === true,
      ...(values['key-name'] === undefined ? {} : { keyName: values['key-name'] }),
    });
    out.log(
      JSON.stringify({
        workspaceId: result.workspace.id,
        workspaceName: result.workspace.name,
        workspaceCreated: result.created,
        keyId: result.apiKey.id,
        scopes: result.apiKey.scopes,
        key: result.plaintext,
      }),
    );
    out.error('Store this admin key now: it is shown once and cannot be retrieved again.');
    return 0;
  } catch (error) {
    if (error instanceof DomainError) {
      out.error(`${error.code}: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await dataSource.destroy();
  }
}
