import { z } from 'zod';
import { baseEnv, clickhouseEnv, port, type EnvSchema } from '@cdp/config';

/** The env schema of a service: the shared variables, its port, ClickHouse when used, its own. */
export function serviceEnv(
  defaultPort: number,
  uses: { clickhouse: boolean },
  own: Readonly<Record<string, z.ZodType>> = {},
): EnvSchema {
  return z.object({
    ...baseEnv,
    ...(uses.clickhouse ? clickhouseEnv : {}),
    PORT: port(defaultPort).describe('HTTP port'),
    ...own,
  });
}
