import { runBootstrapCli } from '@cdp/tenancy';
import { IMPORT_USAGE, runImportCli } from './import.command';
import { runMigrateCli } from './migrate.command';

const USAGE = `usage: cdp <command> [options]

commands:
  bootstrap --name <workspace> [--force] [--key-name <name>]
      create the first workspace and an admin API key (printed once, as JSON)
  migrate [--services=a,b]
      apply Postgres and ClickHouse migrations of the services (all by default) and exit
${IMPORT_USAGE}`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'bootstrap':
      return runBootstrapCli(rest);
    case 'migrate':
      return runMigrateCli(rest);
    case 'import':
      return runImportCli(rest);
    case undefined:
    case '--help':
    case 'help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`cdp: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
