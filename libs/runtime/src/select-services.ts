import { SERVICE_NAMES, type ServiceName } from './service-definition';

/**
 * Reads which services a monolithic process hosts: `--services=a,b` wins over `CDP_SERVICES`,
 * `all` (the default) means every service. Unknown names are an error naming them.
 */
export function selectServices(
  argv: readonly string[],
  envValue: string | undefined,
): ServiceName[] {
  const flag = argv.find((arg) => arg.startsWith('--services='));
  const raw = (flag ? flag.slice('--services='.length) : (envValue ?? 'all')).trim();
  if (raw === '' || raw === 'all') return [...SERVICE_NAMES];
  const requested = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const unknown = requested.filter((s) => !(SERVICE_NAMES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new Error(
      `unknown service(s) ${unknown.map((s) => `"${s}"`).join(', ')} in ${flag ? '--services' : 'CDP_SERVICES'}; expected a comma-separated list of ${SERVICE_NAMES.join(', ')} or "all"`,
    );
  }
  // Keep the canonical order so logs and health checks read the same in every run.
  return SERVICE_NAMES.filter((name) => requested.includes(name));
}
