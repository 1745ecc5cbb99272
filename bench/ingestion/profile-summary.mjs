// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function (file:line) and per
// package/area, as shares of the busy samples.
// Usage: node bench/ingestion/profile-summary.mjs <file> [top] [fromUs toUs]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const ROOT = new URL('../../', import.meta.url).pathname;

/** "node_modules/<pkg>", "libs/<lib>", "services/<svc>/<feature>", "node:internal" or "(program)"... */
function areaOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native/V8)';
  const path = url.replace(/^file:\/\//, '');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (nm) return `npm:${nm[1]}`;
  if (path.startsWith('node:')) return 'node:internal';
  const rel = path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
  const lib = /^libs\/([^/]+)/.exec(rel);
  if (lib) return `libs/${lib[1]}`;
  const svc = /^services\/([^/]+)\/dist\/src\/([^/]+)/.exec(rel);
  if (svc) return `services/${svc[1]}/${svc[2]}`;
  return rel;
}

/**
 * Self and inclusive time per function and self time per area. `windows` (optional): list of
 * [fromUs, toUs] on the CLOCK_MONOTONIC microsecond clock of the profile (`process.hrtime`),
 * to keep only the samples taken while the load ran. Shares are of the process's busy (non-idle)
 * samples.
 */
export function summarize(file, top = 25, windows = undefined) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const keyOf = (node) => {
    const { callFrame } = node;
    const where = callFrame.url
      ? `${callFrame.url.replace(/^file:\/\//, '').replace(ROOT, '')}:${callFrame.lineNumber + 1}`
      : '';
    return `${callFrame.functionName || '(anonymous)'} ${where}`.trim();
  };
  const inWindow = (t) => !windows || windows.some(([from, to]) => t >= from && t <= to);

  const self = new Map();
  const functions = new Map();
  const inclusive = new Map();
  const areas = new Map();
  let busy = 0;
  let idle = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (!inWindow(t)) continue;
    const node = byId.get(profile.samples[i]);
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    busy += dt;
    self.set(node.id, (self.get(node.id) ?? 0) + dt);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parentOf.get(id)) {
      const key = keyOf(byId.get(id));
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  }
  for (const [id, us] of self) {
    const node = byId.get(id);
    const key = keyOf(node);
    functions.set(key, (functions.get(key) ?? 0) + us);
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const rank = (m, filter = () => true) =>
    [...m.entries()]
      .filter(([name]) => filter(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, share: us / busy, ms: us / 1000 }));
  const projectCode = (name) => /\s(services|libs)\//.test(name);
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    functions: rank(functions),
    areas: rank(areas),
    /** Inclusive (self + callees) time of the project's own functions. */
    inclusive: rank(inclusive, projectCode),
  };
}

export function formatSummary(summary) {
  const pct = (x) => `${(x * 100).toFixed(1).padStart(5)} %`;
  return [
    `CPU profile: ${(summary.busyMs / 1000).toFixed(1)} s busy, ${(summary.idleMs / 1000).toFixed(1)} s idle; shares are of the busy time`,
    'self time by area:',
    ...summary.areas.map((a) => `  ${pct(a.share)}  ${a.name}`),
    'self time by function:',
    ...summary.functions.map((f) => `  ${pct(f.share)}  ${f.name}`),
    'inclusive time of project functions:',
    ...summary.inclusive.map((f) => `  ${pct(f.share)}  ${f.name}`),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, top, from, to] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/ingestion/profile-summary.mjs <file.cpuprofile> [top]');
    process.exit(2);
  }
  const windows = from && to ? [[Number(from), Number(to)]] : undefined;
  console.log(formatSummary(summarize(file, Number(top ?? 25), windows)));
}
