#!/usr/bin/env node
// Validates rendered Kubernetes manifests offline (no cluster):
//   1. every object against the Kubernetes OpenAPI schemas, through the kubernetes-models class
//      for its apiVersion/kind (`new Deployment(obj).validate()`): types, required fields,
//      enums, formats. (Those schemas do not forbid unknown fields, so a misspelt optional field
//      passes here; the chart test asserts the important fields at their exact paths.)
//   2. ServiceMonitor (monitoring.coreos.com/v1, a CRD kubernetes-models does not ship)
//      structurally: selector, endpoints with a port name and path.
//   3. references between the rendered objects: Service selectors and target ports, Ingress
//      backends, HPA/PDB/NetworkPolicy/ServiceMonitor targets, ConfigMap references, duplicates.
//
// usage: node scripts/validate-manifests.mjs [--json-dir DIR] FILE.yaml...
//   --json-dir DIR  also write DIR/<basename>.json: the parsed objects (for tests).
// Exit status 0 when everything is valid, 1 otherwise (one line per problem).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';

// js-yaml is in node_modules through jest (@istanbuljs/load-nyc-config); v3 and v4 are supported.
let yaml;
try {
  yaml = (await import('js-yaml')).default;
} catch {
  console.error('validate-manifests: no YAML parser found (js-yaml). Add one as a devDependency: npm i -D js-yaml');
  process.exit(2);
}
const loadAll = yaml.safeLoadAll ?? yaml.loadAll;

const args = process.argv.slice(2);
let jsonDir;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--json-dir') jsonDir = args[++i];
  else files.push(args[i]);
}
if (files.length === 0) {
  console.error('usage: node scripts/validate-manifests.mjs [--json-dir DIR] FILE.yaml...');
  process.exit(2);
}

/** kubernetes-models module for an apiVersion: "v1" → kubernetes-models/v1, "apps/v1" → kubernetes-models/apps/v1. */
async function modelClass(apiVersion, kind) {
  let mod;
  try {
    mod = await import(`kubernetes-models/${apiVersion}`);
  } catch {
    return undefined;
  }
  return mod[kind];
}

const STRUCTURAL = {
  'monitoring.coreos.com/v1/ServiceMonitor'(obj, problem) {
    const spec = obj.spec ?? {};
    if (!spec.selector || typeof spec.selector !== 'object') problem('spec.selector is required');
    else if (!spec.selector.matchLabels && !spec.selector.matchExpressions) problem('spec.selector selects nothing');
    if (!Array.isArray(spec.endpoints) || spec.endpoints.length === 0) problem('spec.endpoints must be a non-empty list');
    for (const [i, ep] of (spec.endpoints ?? []).entries()) {
      if (typeof ep.port !== 'string' || !ep.port) problem(`spec.endpoints[${i}].port must be a Service port name`);
      if (ep.path !== undefined && !String(ep.path).startsWith('/')) problem(`spec.endpoints[${i}].path must start with /`);
      for (const key of ['interval', 'scrapeTimeout']) {
        if (ep[key] !== undefined && !/^[0-9]+(ms|s|m|h)$/.test(ep[key])) problem(`spec.endpoints[${i}].${key} is not a duration`);
      }
    }
    if (spec.namespaceSelector?.matchNames && !Array.isArray(spec.namespaceSelector.matchNames)) {
      problem('spec.namespaceSelector.matchNames must be a list');
    }
  },
};

const matches = (selector, labels) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** Pod templates of the workloads, with their labels and container port names/numbers. */
function podTemplates(objects) {
  const pods = [];
  for (const o of objects) {
    const template = o.kind === 'Pod' ? o : ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind) ? o.spec?.template : undefined;
    if (!template) continue;
    const ports = (template.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
    pods.push({ owner: `${o.kind}/${o.metadata.name}`, labels: template.metadata?.labels ?? {}, ports });
  }
  return pods;
}

function checkReferences(objects, problem) {
  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const find = (kind, name) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
  const pods = podTemplates(objects);
  const seen = new Set();
  for (const o of objects) {
    const key = `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
    if (seen.has(key)) problem(o, 'duplicate object');
    seen.add(key);
  }
  for (const svc of byKind('Service')) {
    const selected = pods.filter((p) => matches(svc.spec?.selector, p.labels));
    if (selected.length === 0) { problem(svc, 'selector matches no pod template'); continue; }
    for (const port of svc.spec?.ports ?? []) {
      const target = port.targetPort ?? port.port;
      for (const pod of selected) {
        const ok = pod.ports.some((p) => (typeof target === 'string' ? p.name === target : p.containerPort === target));
        if (!ok) problem(svc, `targetPort ${target} is not a container port of ${pod.owner}`);
      }
    }
  }
  for (const ing of byKind('Ingress')) {
    for (const rule of ing.spec?.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend?.service;
        const svc = backend && find('Service', backend.name);
        if (!svc) { problem(ing, `backend Service ${backend?.name} is not rendered`); continue; }
        const ok = (svc.spec?.ports ?? []).some((p) => (backend.port?.name ? p.name === backend.port.name : p.port === backend.port?.number));
        if (!ok) problem(ing, `backend port ${JSON.stringify(backend.port)} is not a port of Service ${svc.metadata.name}`);
      }
    }
  }
  for (const hpa of byKind('HorizontalPodAutoscaler')) {
    const ref = hpa.spec?.scaleTargetRef;
    if (!find(ref?.kind, ref?.name)) problem(hpa, `scaleTargetRef ${ref?.kind}/${ref?.name} is not rendered`);
  }
  for (const pdb of byKind('PodDisruptionBudget')) {
    if (!pods.some((p) => matches(pdb.spec?.selector?.matchLabels, p.labels))) problem(pdb, 'selector matches no pod template');
  }
  for (const np of byKind('NetworkPolicy')) {
    const selected = pods.filter((p) => matches(np.spec?.podSelector?.matchLabels, p.labels));
    if (selected.length === 0) problem(np, 'podSelector matches no pod template');
    for (const rule of np.spec?.ingress ?? []) {
      for (const port of rule.ports ?? []) {
        if (typeof port.port !== 'string') continue;
        for (const pod of selected) {
          if (!pod.ports.some((p) => p.name === port.port)) problem(np, `port ${port.port} is not a container port of ${pod.owner}`);
        }
      }
      for (const peer of rule.from ?? []) {
        for (const sel of ['namespaceSelector', 'podSelector']) {
          if (peer[sel] && Object.keys(peer[sel]).length === 0) problem(np, `an empty ${sel} admits every ${sel === 'podSelector' ? 'pod' : 'namespace'}`);
        }
      }
    }
  }
  for (const sm of objects.filter((o) => o.kind === 'ServiceMonitor')) {
    const services = byKind('Service').filter((s) => matches(sm.spec?.selector?.matchLabels, s.metadata?.labels));
    if (services.length === 0) problem(sm, 'selector matches no rendered Service');
    for (const ep of sm.spec?.endpoints ?? []) {
      for (const svc of services) {
        if (!(svc.spec?.ports ?? []).some((p) => p.name === ep.port)) problem(sm, `endpoint port ${ep.port} is not a port of Service ${svc.metadata.name}`);
      }
    }
  }
  for (const o of objects) {
    const spec = o.kind === 'Pod' ? o.spec : o.spec?.template?.spec;
    for (const c of spec?.containers ?? []) {
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef && !from.configMapRef.optional && !find('ConfigMap', from.configMapRef.name)) {
          problem(o, `envFrom ConfigMap ${from.configMapRef.name} is not rendered`);
        }
      }
    }
  }
}

let failures = 0;
for (const file of files) {
  const objects = loadAll(readFileSync(file, 'utf8')).filter((d) => d && typeof d === 'object');
  const counts = {};
  const problem = (obj, message) => {
    failures++;
    console.error(`${file}: ${obj.kind}/${obj.metadata?.name}: ${message}`);
  };
  for (const obj of objects) {
    if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
      problem(obj, 'apiVersion, kind and metadata.name are required');
      continue;
    }
    const id = `${obj.apiVersion}/${obj.kind}`;
    counts[id] = (counts[id] ?? 0) + 1;
    const structural = STRUCTURAL[id];
    if (structural) {
      structural(obj, (m) => problem(obj, `${m} (structural check)`));
      continue;
    }
    const Model = await modelClass(obj.apiVersion, obj.kind);
    if (!Model) {
      problem(obj, `no kubernetes-models class for ${id}`);
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (err) {
      problem(obj, err instanceof Error ? err.message : String(err));
    }
  }
  checkReferences(objects, problem);
  const summary = Object.entries(counts).map(([k, n]) => `${k}${n > 1 ? ` ×${n}` : ''}`).join(', ');
  console.log(`${file}: ${objects.length} objects (${summary})`);
  if (jsonDir) {
    mkdirSync(jsonDir, { recursive: true });
    writeFileSync(join(jsonDir, `${basename(file).replace(/\.ya?ml$/, '')}.json`), `${JSON.stringify(objects, null, 2)}\n`);
  }
}
if (failures) {
  console.error(`validate-manifests: ${failures} problem(s)`);
  process.exit(1);
}
console.log('validate-manifests: all objects valid');
