// The fault tests' toolkit: the real service as separate `node --import tsx src/main.ts` processes
// in production mode, a Redis server and a PostgreSQL cluster of their own that a test stops and
// starts, a round-robin proxy on loopback, and a user agent that times every request.
// Everything listens on 127.0.0.1 and is a child of the test process: `stopAllChildren()` ends
// whatever is left (also on failure), and an exit hook kills stragglers if Jest dies first.
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import * as oidc from 'openid-client';
import { UserAgent, type PageResponse } from './user-agent.js';
import { discover, loginWithPassword } from './relying-party.js';
import type { Knex } from 'knex';
import { createCompany, createRelyingParty, createUser, type TestClient } from './fixtures.js';
import { createTotpSecret } from '../../src/mfa/totp.js';
import { createAuthenticatorsRepo } from '../../src/mfa/authenticators-repo.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';

export const ROOT = resolve(import.meta.dirname, '../..');

// ------------------------------------------------------------------------------------------------
// Child processes: every one is tracked so a test's afterAll (or process exit) can end it.

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const cleanups: Array<() => Promise<void> | void> = [];

process.once('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
}

async function killAndWait(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill(signal);
  await done;
}

/** Ends every child process, runs registered cleanups and removes temp dirs. Safe to call twice. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map((c) => killAndWait(c)));
  for (const cleanup of cleanups.splice(0).reverse()) {
    try { await cleanup(); } catch { /* best effort */ }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try { if (await check()) return; } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${timeoutMs} ms`);
    await sleep(stepMs);
  }
}

// ------------------------------------------------------------------------------------------------
// Redis of our own: killed and restarted on the same port, no persistence (as a fresh pod would be).

export interface RedisServer {
  port: number;
  url: string;
  /** Kills the server (SIGKILL: connections drop as in a crash); resolves once it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port; resolves when it answers PING. */
  start(): Promise<void>;
  /** Runs one redis-cli command against it. */
  cli(...args: string[]): Promise<string>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  // Asynchronous, so the test's own load loops keep running (and their timings stay honest).
  const cli = async (...args: string[]) => (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], 5000)).trim();
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    cli,
    async start() {
      child = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }));
      const proc = child;
      await waitFor(`redis on ${port}`, async () => {
        if (proc.exitCode !== null) throw new Error('redis-server exited');
        return (await cli('ping')) === 'PONG';
      }, 10_000, 25);
    },
    async stop() {
      if (child) await killAndWait(child, 'SIGKILL');
      child = undefined;
    },
  };
  await server.start();
  return server;
}

// ------------------------------------------------------------------------------------------------
// A PostgreSQL cluster of our own (initdb in a temp dir, pg_ctl start/stop), so an outage touches
// nobody else. As root (CI) it runs as the postgres user through runuser.

export interface PrivatePostgres {
  port: number;
  url(database?: string): string;
  /** pg_ctl stop -m fast: sessions are terminated, new connections refused. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

function asPostgres(command: string, args: string[]): { file: string; args: string[] } {
  return process.getuid?.() === 0 ? { file: 'runuser', args: ['-u', 'postgres', '--', command, ...args] } : { file: command, args };
}

const execFileAsync = promisify(execFile);

async function run(file: string, args: string[], timeout: number): Promise<string> {
  const { stdout } = await execFileAsync(file, args, { encoding: 'utf8', timeout });
  return stdout;
}

function runPg(command: string, args: string[], timeout = 30_000): Promise<string> {
  const { file, args: argv } = asPostgres(join(PG_BIN, command), args);
  return run(file, argv, timeout);
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'callrec-fault-pg-'));
  tempDirs.add(dir);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  await runPg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const pgCtl = (...args: string[]) => runPg('pg_ctl', ['-D', data, '-l', join(dir, 'log'), ...args]);
  let running = false;
  const cluster: PrivatePostgres = {
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async start() {
      await pgCtl('-o', options, '-w', '-t', '30', 'start');
      running = true;
    },
    async stop() {
      await pgCtl('-m', 'fast', '-w', '-t', '30', 'stop');
      running = false;
    },
  };
  cleanups.push(async () => { if (running) await pgCtl('-m', 'immediate', '-w', 'stop'); });
  await cluster.start();
  return cluster;
}

// ------------------------------------------------------------------------------------------------
// The service, as production runs it: `node --import tsx src/main.ts` with NODE_ENV=production.

export interface ServiceSecrets {
  KEY_ENCRYPTION_KEY: string;
  COOKIE_KEYS: string;
  REDIS_KEY_PREFIX: string;
}

export function newSecrets(): ServiceSecrets {
  return {
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
    REDIS_KEY_PREFIX: `fault:${randomBytes(4).toString('hex')}:`,
  };
}

export interface ServiceProcess {
  name: string;
  pid: number;
  publicUrl: string;
  adminUrl: string;
  /** stdout + stderr so far (pino JSON lines at LOG_LEVEL=warn). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

export interface ServiceOptions {
  name: string;
  issuer: string;
  databaseUrl: string;
  redisUrl: string;
  secrets: ServiceSecrets;
  port?: number;
  adminPort?: number;
  env?: Record<string, string>;
}

export async function startService(options: ServiceOptions): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const adminPort = options.adminPort ?? (await freePort());
  // Only what the service needs (no NODE_OPTIONS from Jest, no TEST_* variables).
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    ISSUER: options.issuer,
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    LOG_LEVEL: 'warn',
    SHUTDOWN_GRACE_SECONDS: '5',
    ...options.secrets,
    ...options.env,
  };
  const child = track(spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const publicUrl = `http://127.0.0.1:${port}`;
  const done = exited(child);
  await waitFor(`service ${options.name}`, async () => {
    if (child.exitCode !== null) throw new Error(`service ${options.name} exited (${child.exitCode}): ${output}`);
    const res = await fetch(`${publicUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  }, 30_000, 100).catch((err: Error) => { throw new Error(`${err.message}\n${output}`); });
  return {
    name: options.name,
    pid: child.pid!,
    publicUrl,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    output: () => output,
    exited: done,
    kill: (signal) => { child.kill(signal); },
  };
}

/** Log lines at level error (50) or above, e.g. "unhandled error" with a stack. */
export function errorLogLines(service: ServiceProcess): string[] {
  return service.output().split('\n').filter((line) => /"level":(5\d|60)/.test(line));
}

// ------------------------------------------------------------------------------------------------
// Round-robin proxy on loopback, as a load balancer with passive health checks: a backend that
// fails a request is taken out; the request (its body is buffered) goes to the next backend when
// the connection was refused, or when it was a GET/HEAD (nginx's default proxy_next_upstream).

export interface RoundRobinProxy {
  url: string;
  port: number;
  /** Requests answered per backend name. */
  counts: Record<string, number>;
  /** Requests re-sent to another backend (refused connection, or a GET/HEAD cut off). */
  retried: number;
  /** POSTs that failed after being sent (backend died mid-request): answered 502. */
  badGateway: number;
  down: Set<string>;
  close(): Promise<void>;
}

export const BACKEND_HEADER = 'x-fault-backend';

export async function startRoundRobinProxy(backends: Array<{ name: string; url: string }>, port = 0): Promise<RoundRobinProxy> {
  let next = 0;
  const counts: Record<string, number> = Object.fromEntries(backends.map((b) => [b.name, 0]));
  const down = new Set<string>();
  const state = { retried: 0, badGateway: 0 };

  const forward = (backend: { name: string; url: string }, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolveForward, reject) => {
      const target = new URL(backend.url);
      const req = httpRequest({ host: target.hostname, port: target.port, method, path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolveForward({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers, connection: 'close' };
      for (let attempt = 0; attempt < backends.length; attempt++) {
        const alive = backends.filter((b) => !down.has(b.name));
        if (alive.length === 0) break;
        const backend = alive[next++ % alive.length]!;
        try {
          const answer = await forward(backend, req.method ?? 'GET', req.url ?? '/', headers, body);
          counts[backend.name]!++;
          const out = { ...answer.headers, [BACKEND_HEADER]: backend.name };
          delete out['transfer-encoding'];
          delete out.connection;
          out['content-length'] = String(answer.body.length);
          res.writeHead(answer.status, out);
          res.end(answer.body);
          return;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          down.add(backend.name);
          // As nginx's proxy_next_upstream does by default: a refused connection is retried on the
          // next backend for any method (nothing was sent); a failure after sending only for
          // idempotent methods (a POST may have been processed, so it is not repeated).
          if (code === 'ECONNREFUSED' || req.method === 'GET' || req.method === 'HEAD') { state.retried++; continue; }
          state.badGateway++;
          break;
        }
      }
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway');
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    counts,
    get retried() { return state.retried; },
    get badGateway() { return state.badGateway; },
    down,
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

// ------------------------------------------------------------------------------------------------
// Timed requests and logins.

export interface RequestRecord {
  /** Wall-clock start and end (ms since epoch). */
  start: number;
  end: number;
  ms: number;
  method: string;
  url: string;
  /** HTTP status, or 0 when no answer came (connection error or the hang guard). */
  status: number;
  error?: string;
  backend?: string;
  /** First bytes of the body of an error answer. */
  snippet?: string;
  /** The body looks like a stack trace or names source files. */
  stackTrace: boolean;
}

const HANG_GUARD_MS = 8000;
const STACK_TRACE = /\n\s+at\s+\S+.*:\d+:\d+|node_modules\/|\/src\/\S+\.ts/;

/** An HTML page as "heading (Error code: x)", anything else as its first 200 characters. */
function summarise(body: string): string {
  const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(body)?.[1];
  if (h1 === undefined) return body.replace(/\s+/g, ' ').slice(0, 200);
  const code = /Error code: ([a-z_]+)/.exec(body)?.[1];
  return `page "${h1.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim()}"${code ? ` (Error code: ${code})` : ''}`;
}

function record(log: RequestRecord[], entry: Omit<RequestRecord, 'ms' | 'stackTrace'> & { body?: string }): void {
  const { body, ...rest } = entry;
  const failed = rest.status === 0 || rest.status >= 400;
  log.push({
    ...rest,
    ms: rest.end - rest.start,
    stackTrace: body ? STACK_TRACE.test(body) : false,
    ...(failed && body ? { snippet: summarise(body) } : {}),
  });
}

/** A UserAgent that records every request it makes (status, time, backend) and never waits forever. */
export class TimedAgent extends UserAgent {
  constructor(readonly log: RequestRecord[]) { super(); }

  override async request(url: string | URL, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<PageResponse> {
    const start = Date.now();
    const method = init.method ?? (init.form ? 'POST' : 'GET');
    let timer: NodeJS.Timeout | undefined;
    try {
      const response = await Promise.race([
        super.request(url, init),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${HANG_GUARD_MS} ms`)), HANG_GUARD_MS); }),
      ]);
      record(this.log, { start, end: Date.now(), method, url: String(url), status: response.status, backend: response.headers.get(BACKEND_HEADER) ?? undefined, body: response.body });
      return response;
    } catch (err) {
      record(this.log, { start, end: Date.now(), method, url: String(url), status: 0, error: (err as Error).message });
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** fetch for openid-client (token endpoint, JWKS) that records like TimedAgent. */
export function timedFetch(log: RequestRecord[]): (url: string, options: oidc.CustomFetchOptions) => Promise<Response> {
  return async (url, options) => {
    const start = Date.now();
    try {
      const res = await fetch(url, { ...(options as RequestInit), signal: AbortSignal.timeout(HANG_GUARD_MS) });
      const body = await res.clone().text();
      record(log, { start, end: Date.now(), method: options.method, url, status: res.status, backend: res.headers.get(BACKEND_HEADER) ?? undefined, body });
      return res;
    } catch (err) {
      record(log, { start, end: Date.now(), method: options.method, url, status: 0, error: (err as Error).message });
      throw err;
    }
  };
}

export interface LoginResult {
  start: number;
  end: number;
  ok: boolean;
  error?: string;
  sub?: string;
  requests: RequestRecord[];
}

const currentLog = new AsyncLocalStorage<RequestRecord[]>();

/**
 * Discovers the provider for the RP; its own calls (token endpoint, JWKS) are recorded into the
 * log of the login that makes them (the configuration is shared by concurrent logins).
 */
export async function discoverRp(issuer: string, client: TestClient): Promise<oidc.Configuration> {
  const config = await discover(issuer, client);
  config[oidc.customFetch] = (url, options) => {
    const log = currentLog.getStore();
    return log ? timedFetch(log)(url, options) : fetch(url, options as RequestInit);
  };
  return config;
}

/**
 * One full password login (authorize → login page → submit → callback → code exchange with ID
 * token validation by openid-client). Never throws: the outcome and every request are recorded.
 */
export async function timedLogin(config: oidc.Configuration, client: TestClient, credentials: { username: string; password: string }): Promise<LoginResult> {
  const requests: RequestRecord[] = [];
  const start = Date.now();
  return currentLog.run(requests, async () => {
    try {
      const { tokens } = await loginWithPassword(config, client, credentials, {}, new TimedAgent(requests));
      const claims = tokens.claims();
      return { start, end: Date.now(), ok: true, sub: claims?.sub, requests };
    } catch (err) {
      return { start, end: Date.now(), ok: false, error: (err as Error).message.slice(0, 300), requests };
    }
  });
}

export interface LoadRun {
  results: LoginResult[];
  stop(): void;
  done: Promise<LoginResult[]>;
}

/** `concurrency` loops of back-to-back logins until stop() or `maxLogins` or `maxMs`. */
export function steadyLogins(
  concurrency: number,
  login: () => Promise<LoginResult>,
  limits: { maxLogins: number; maxMs: number; pauseMs?: number },
): LoadRun {
  const results: LoginResult[] = [];
  let stopped = false;
  let started = 0;
  const until = Date.now() + limits.maxMs;
  const loop = async () => {
    while (!stopped && started < limits.maxLogins && Date.now() < until) {
      started++;
      const result = await login();
      results.push(result);
      // A failing login comes back fast; pause a little so an outage is sampled, not hammered.
      await sleep(result.ok ? (limits.pauseMs ?? 0) : 100);
    }
  };
  const done = Promise.all(Array.from({ length: concurrency }, loop)).then(() => results);
  return { results, stop: () => { stopped = true; }, done };
}

/** All request records of a set of logins. */
export function requestsOf(results: LoginResult[]): RequestRecord[] {
  return results.flatMap((r) => r.requests);
}

export function statusHistogram(records: RequestRecord[]): string {
  const counts = new Map<string, number>();
  for (const r of records) {
    const key = r.status === 0 ? `no-answer(${r.error?.slice(0, 40)})` : String(r.status);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, v]) => `${k}×${v}`).join(' ') || 'none';
}

/** Polls /readyz every `everyMs` and keeps what it said. */
export function watchReadiness(url: string, everyMs = 200): { samples: Array<{ at: number; status: number; body: any; ms: number }>; stop(): Promise<void> } { // eslint-disable-line @typescript-eslint/no-explicit-any
  const samples: Array<{ at: number; status: number; body: any; ms: number }> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const at = Date.now();
      try {
        const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3000) });
        const text = await res.text();
        let body: unknown = text;
        try { body = JSON.parse(text); } catch { /* keep text */ }
        samples.push({ at, status: res.status, body, ms: Date.now() - at });
      } catch (err) {
        samples.push({ at, status: 0, body: (err as Error).message, ms: Date.now() - at });
      }
      await sleep(everyMs);
    }
  })();
  return { samples, stop: async () => { stopped = true; await loop; } };
}

/** Registers an extra cleanup (closing a pool, dropping a database) run by stopAllChildren. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

// ------------------------------------------------------------------------------------------------
// Test data for the fault suites, written through the service's own repositories.

export interface FaultTenant {
  client: TestClient;
  /** Password-only users (company policy DISABLED), one per load loop. */
  users: Array<{ id: string; username: string; password: string }>;
  /** A user of a company with MFA ENABLED who has an authenticator (passcode step). */
  mfaUser: { id: string; username: string; password: string; secret: string };
}

export async function seedTenant(db: Knex, keyEncryptionKey: string, userCount: number): Promise<FaultTenant> {
  const company = await createCompany(db, { mfaPolicy: 'DISABLED' });
  const users = [];
  for (let i = 0; i < userCount; i++) users.push(await createUser(db, { companyId: company.id }));
  const mfaCompany = await createCompany(db, { mfaPolicy: 'ENABLED' });
  const mfaUser = await createUser(db, { companyId: mfaCompany.id });
  const secret = createTotpSecret();
  await createAuthenticatorsRepo(createSecretBox(Buffer.from(keyEncryptionKey, 'base64')))
    .activate(db, { userId: mfaUser.id, companyId: mfaCompany.id, secret, step: 0 });
  const client = await createRelyingParty(db, keyEncryptionKey, { firstParty: true });
  return { client, users, mfaUser: { ...mfaUser, secret } };
}

/** Rows per table that must survive an outage unchanged. */
export async function dataFingerprint(db: Knex): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['companies', 'users', 'mfa_authenticators', 'oidc_clients', 'signing_keys']) {
    const [row] = await db(table).count<{ count: string | number }[]>({ count: '*' });
    out[table] = Number(row?.count ?? 0);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Reading a load run around an outage.

export interface OutageFigures {
  logins: number;
  /** Logins that ended before the outage began, and how many of them failed (must be 0). */
  beforeOutage: { logins: number; failed: number };
  /** Failed logins (any time) and the requests that failed (no answer, 4xx or 5xx). */
  failedLogins: LoginResult[];
  failedRequests: RequestRecord[];
  /** Failed requests that took more than 2 s, answered something else than 503, got no answer, or showed a stack trace. */
  slowFailures: RequestRecord[];
  wrongStatus: RequestRecord[];
  noAnswer: RequestRecord[];
  stackTraces: RequestRecord[];
  /** ms from the dependency's return to the start of the first login after which every login succeeded. */
  recoveryMs: number;
  /** Logins started after recovery (must all succeed). */
  afterRecovery: { logins: number; failed: number };
  /** The slowest request that started while the dependency was down. */
  slowestDuringOutageMs: number;
}

export function analyseOutage(results: LoginResult[], downAt: number, upAt: number): OutageFigures {
  const sorted = [...results].sort((a, b) => a.start - b.start);
  const requests = requestsOf(sorted);
  const failedRequests = requests.filter((r) => r.status === 0 || r.status >= 400);
  const afterUp = sorted.filter((r) => r.start >= upAt);
  let lastFailed = -1;
  afterUp.forEach((r, i) => { if (!r.ok) lastFailed = i; });
  const recoveredAt = lastFailed === -1 ? upAt : afterUp[lastFailed + 1]?.start ?? Number.POSITIVE_INFINITY;
  const afterRecovery = sorted.filter((r) => r.start >= recoveredAt);
  const before = sorted.filter((r) => r.end < downAt);
  const during = requests.filter((r) => r.start >= downAt && r.start <= upAt);
  return {
    logins: sorted.length,
    beforeOutage: { logins: before.length, failed: before.filter((r) => !r.ok).length },
    failedLogins: sorted.filter((r) => !r.ok),
    failedRequests,
    slowFailures: failedRequests.filter((r) => r.ms > 2000),
    // Not 503: a 500, or a 4xx that is not the "login expired" page (which is right for a login
    // whose interaction was lost with the Redis that went away).
    wrongStatus: failedRequests.filter((r) => r.status !== 503 && r.status !== 0 && !(r.status === 400 && /Your login has expired/.test(r.snippet ?? ''))),
    noAnswer: failedRequests.filter((r) => r.status === 0),
    stackTraces: requests.filter((r) => r.stackTrace),
    recoveryMs: recoveredAt - upAt,
    afterRecovery: { logins: afterRecovery.length, failed: afterRecovery.filter((r) => !r.ok).length },
    slowestDuringOutageMs: Math.max(0, ...during.map((r) => r.ms)),
  };
}

/** A short, printable sample of what went wrong (for the report line and failure messages). */
export function describeFailures(records: RequestRecord[], max = 3): string {
  return records.slice(0, max).map((r) => `${r.method} ${new URL(r.url).pathname} → ${r.status || r.error} in ${r.ms} ms${r.snippet ? ` "${r.snippet.slice(0, 120)}"` : ''}`).join(' | ') || '-';
}

/** Failed requests grouped by route, status and what the page said, with counts. */
export function failureKinds(records: RequestRecord[]): string {
  const kinds = new Map<string, number>();
  for (const r of records) {
    const path = new URL(r.url).pathname.replace(/\/(interaction|auth)\/[^/]+/, '/$1/:uid');
    const key = `${r.method} ${path} → ${r.status || 'no answer'} ${r.error ?? r.snippet ?? ''}`.trim();
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  }
  return [...kinds].map(([k, n]) => `${n}× ${k}`).join(' | ') || 'none';
}

/**
 * Collects every unmet requirement of a fault test, so one run reports all of them (not just the
 * first failed expect): `check(condition, 'what was required: what happened')`, then
 * `expect(violations).toEqual([])`.
 */
export function requirements(): { check(ok: boolean, message: string): void; violations: string[] } {
  const violations: string[] = [];
  return { violations, check: (ok, message) => { if (!ok) violations.push(message); } };
}

/** The service's error-level log lines grouped by message and error message (no stacks). */
export function errorLogKinds(service: ServiceProcess): string {
  const kinds = new Map<string, number>();
  for (const line of errorLogLines(service)) {
    let key = line.slice(0, 120);
    try {
      const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
      key = `${entry.msg}${entry.err?.message ? `: ${entry.err.message.slice(0, 100)}` : ''}`;
    } catch { /* not JSON */ }
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  }
  return [...kinds].map(([k, n]) => `${n}× ${k}`).join(' | ') || 'none';
}
