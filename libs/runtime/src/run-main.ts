import { ConfigError } from '@cdp/config';
import { createLogger } from '@cdp/observability';
import { TypeOrmWorkspaceRepository } from '@cdp/tenancy';
import { DependencyUnavailableError } from './dependency-errors';
import { closeOnSignals, startPlatform, type PlatformOptions } from './platform';
import type { ServiceDefinition } from './service-definition';

/**
 * Entry point shared by every `main.ts`: start, close on signals, and turn start-up failures
 * into one readable line (exit code 1) instead of a stack trace.
 */
export async function runMain(
  definitions: readonly ServiceDefinition[],
  options: PlatformOptions,
): Promise<void> {
  try {
    const platform = await startPlatform(definitions, options);
    if (!(await new TypeOrmWorkspaceRepository(platform.infrastructure.tenancy).any())) {
      process.stdout.write(
        `\nNo workspace yet. Create the first workspace and its admin API key with:\n` +
          `  npm run cdp -- bootstrap --name <workspace>\n` +
          `(or: node deploy/monolith/dist/src/cli.js bootstrap --name <workspace>)\n` +
          `then call the API at ${platform.url} with "Authorization: Bearer <key>"; docs at ${platform.url}/docs\n\n`,
      );
    }
    const timeout = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 8000);
    closeOnSignals(platform, timeout);
  } catch (error) {
    if (error instanceof DependencyUnavailableError || error instanceof ConfigError) {
      process.stderr.write(`cdp: ${error.message}\n`);
    } else {
      createLogger('runtime').fatal({ err: error }, 'start-up failed');
    }
    process.exit(1);
  }
}
