import './instrument';
import { runMain, selectServices } from '@cdp/runtime';
import { definitionsFor } from './all-services';

/**
 * Monolithic mode: one process hosting any set of services (`--services=a,b` or CDP_SERVICES,
 * all by default) on one HTTP port with embedded ClickHouse.
 */
function main(): void {
  let names;
  try {
    names = selectServices(process.argv.slice(2), process.env.CDP_SERVICES);
  } catch (error) {
    process.stderr.write(`cdp: ${(error as Error).message}\n`);
    process.exit(2);
  }
  void runMain(definitionsFor(names), { mode: 'monolith' });
}

main();
