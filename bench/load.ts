// The load generator, in its own process (forked by bench/run.ts over IPC, so its CPU is never the
// server's). Protocol: the parent sends {spec}; the child warms up, answers {type:'ready'}, waits
// for {type:'go'}, runs the measured load bounded in time *and* count, and answers {type:'result'}.
// The parent reads the server's CPU time between 'go' and 'result'.
//
// Scenarios:
//   login       N workers, each a fresh "browser" per login (cookie jar, keep-alive socket):
//               authorize → login page → password → passcode page → TOTP → resume → callback →
//               code exchange (client_secret_basic) → ID token. For the bare provider the interaction
//               finishes at once, so the pages and the two POSTs are skipped.
//   refresh     N workers, each owning one refresh-token chain: grant, keep the rotated token, repeat.
//   autocannon  one request shape (client credentials, admin API), autocannon with per-response timing.
//
// Open loop: with `rate` set, units start on a fixed schedule t0 + n / rate (a shared counter of start
// slots; a free worker claims the next slot and sleeps until it), not as fast as the workers can go:
// the "at half peak" phases. Workers only bound how many units are in flight; the start lag (actual
// start − scheduled start) is recorded so a starved schedule shows. The autocannon kind is paced by
// this load generator's own keep-alive HTTP client, not by autocannon's `overallRate`: autocannon 9
// resets a per-connection quota once a second and sends it back to back, so every second begins with
// a burst at full concurrency (saturation latencies again) followed by idle time.
//
// The process serves several phases in a row ({spec} → ready → go → result, repeated) and keeps the
// TOTP user pool and the rotated refresh-token chains between them; it exits on {type:'exit'} or when
// the parent goes away.
import http from 'node:http';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import autocannon from 'autocannon';

export interface BenchClient { clientId: string; clientSecret: string; redirectUri: string }
export interface BenchUser { username: string; password: string; totpSecret?: string }

interface Common {
  concurrency: number; durationMs: number; maxCount: number; warmupMs: number;
  /** Open loop: units started per second on a fixed schedule (warm-up and measured phase). Absent: closed loop, as fast as `concurrency` workers go. */
  rate?: number;
}
export type LoadSpec =
  | (Common & { kind: 'login'; issuer: string; client: BenchClient; users: BenchUser[]; flow: 'ours' | 'bare'; scope: string; extraParams?: Record<string, string>; collectRefreshTokens?: boolean })
  | (Common & { kind: 'refresh'; issuer: string; client: BenchClient; tokens: string[] })
  | (Common & { kind: 'autocannon'; url: string; method: 'GET' | 'POST'; headers: Record<string, string>; body?: string; paths?: string[] });

export interface LoadResult {
  completed: number;
  errors: number;
  errorSamples: string[];
  wallSeconds: number;
  /** Median and mean of completions per whole second of the measured run. */
  throughput: { median: number; mean: number };
  /** Per completed unit (one login, one grant, one API call). */
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Login only: every HTTP request of the flow (a "login step"). */
  requestLatencyMs?: { p50: number; p95: number; p99: number; max: number; requestsPerUnit: number };
  /** Login only: latency per kind of request (method and path pattern). */
  stepLatencyMs?: Record<string, { count: number; p50: number; p95: number; p99: number; max: number }>;
  refreshTokens?: string[];
  /** Open-loop phases: the scheduled rate and how late units started against the schedule (late: > 10 ms). */
  pacing?: { rate: number; startLagMs: { p50: number; p95: number; p99: number; max: number }; lateStarts: number };
}

/** A unit starting more than this behind its scheduled time counts as late (the schedule was starved). */
const LATE_START_MS = 10;

export function percentiles(values: number[]): { p50: number; p95: number; p99: number; max: number } {
  if (values.length === 0) return { p50: NaN, p95: NaN, p99: NaN, max: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Records completions and latencies of one measured phase. */
class Recorder {
  readonly start = performance.now();
  readonly latencies: number[] = [];
  readonly requestLatencies: number[] = [];
  readonly byStep = new Map<string, number[]>();
  readonly perSecond: number[] = [];
  readonly startLags: number[] = [];
  completed = 0;
  errors = 0;
  readonly errorSamples: string[] = [];
  requests = 0;
  done(latencyMs: number) {
    this.completed++;
    this.latencies.push(latencyMs);
    const second = Math.floor((performance.now() - this.start) / 1000);
    this.perSecond[second] = (this.perSecond[second] ?? 0) + 1;
  }
  fail(error: unknown) {
    this.errors++;
    if (this.errorSamples.length < 5) this.errorSamples.push(String((error as Error)?.message ?? error).slice(0, 300));
  }
  result(extra: Partial<LoadResult> = {}, rate?: number): LoadResult {
    const wallSeconds = (performance.now() - this.start) / 1000;
    const whole = Array.from({ length: Math.floor(wallSeconds) }, (_, i) => this.perSecond[i] ?? 0);
    return {
      completed: this.completed,
      errors: this.errors,
      errorSamples: this.errorSamples,
      wallSeconds,
      throughput: { median: whole.length ? median(whole) : this.completed / wallSeconds, mean: this.completed / wallSeconds },
      latencyMs: percentiles(this.latencies),
      ...(this.requestLatencies.length
        ? {
          requestLatencyMs: { ...percentiles(this.requestLatencies), requestsPerUnit: this.requests / Math.max(1, this.completed) },
          stepLatencyMs: Object.fromEntries([...this.byStep].map(([k, v]) => [k, { count: v.length, ...percentiles(v) }])),
        }
        : {}),
      ...(rate ? { pacing: { rate, startLagMs: percentiles(this.startLags), lateStarts: this.startLags.filter((l) => l > LATE_START_MS).length } } : {}),
      ...extra,
    };
  }
}

// ---- a minimal HTTP client: keep-alive socket per worker, manual redirects, a cookie jar honouring Path.

interface Reply { status: number; location?: string; body: string; setCookie: string[] }

function send(agent: http.Agent, url: URL, method: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: body ? { ...headers, 'content-length': String(Buffer.byteLength(body)) } : headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        location: res.headers.location,
        body: Buffer.concat(chunks).toString('utf8'),
        setCookie: res.headers['set-cookie'] ?? [],
      }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout ${method} ${url.pathname}`)));
    req.on('error', reject);
    req.end(body);
  });
}

class Browser {
  private cookies = new Map<string, { value: string; path: string }>();
  constructor(private readonly agent: http.Agent, private readonly recorder: Recorder | undefined) {}
  async request(url: URL, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Reply & { url: URL }> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = [...this.cookies].filter(([, c]) => url.pathname.startsWith(c.path)).map(([k, c]) => `${k.split('\u0000')[0]}=${c.value}`).join('; ');
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const t0 = performance.now();
    const reply = await send(this.agent, url, init.method ?? (body ? 'POST' : 'GET'), headers, body);
    if (this.recorder) {
      const ms = performance.now() - t0;
      this.recorder.requestLatencies.push(ms);
      this.recorder.requests++;
      const step = `${init.method ?? (body ? 'POST' : 'GET')} ${url.pathname.replace(/^\/(interaction|auth)\/[^/]+/, '/$1/:uid')}`;
      const list = this.recorder.byStep.get(step) ?? [];
      list.push(ms);
      this.recorder.byStep.set(step, list);
    }
    for (const line of reply.setCookie) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      let path = '/';
      let expired = false;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        const key = k!.toLowerCase();
        if (key === 'path') path = v;
        if (key === 'expires' && new Date(v).getTime() < Date.now()) expired = true;
        if (key === 'max-age' && Number(v) <= 0) expired = true;
      }
      const id = `${pair!.slice(0, eq)}\u0000${path}`;
      if (expired) this.cookies.delete(id); else this.cookies.set(id, { value: pair!.slice(eq + 1), path });
    }
    return { ...reply, url };
  }
}

// ---- TOTP (RFC 6238, SHA-1, 6 digits, 30 s) as an authenticator app computes it.

function base32Decode(input: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of input.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}

function totp(key: Buffer, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/**
 * Hands out users so none reuses a TOTP time step: a user's next code is for max(now, last + 1),
 * which the provider accepts while it is at most one step ahead.
 */
class UserPool {
  private next = 0;
  private readonly lastStep: number[];
  private readonly keys: Buffer[];
  constructor(private readonly users: BenchUser[]) {
    this.lastStep = users.map(() => 0);
    this.keys = users.map((u) => (u.totpSecret ? base32Decode(u.totpSecret) : Buffer.alloc(0)));
  }
  async take(): Promise<{ user: BenchUser; code: string }> {
    for (;;) {
      const now = Math.floor(Date.now() / 30_000);
      for (let i = 0; i < this.users.length; i++) {
        const index = (this.next + i) % this.users.length;
        const step = Math.max(now, this.lastStep[index]! + 1);
        if (step <= now + 1) {
          this.next = index + 1;
          this.lastStep[index] = step;
          const user = this.users[index]!;
          return { user, code: user.totpSecret ? totp(this.keys[index]!, step) : '' };
        }
      }
      await new Promise((r) => setTimeout(r, 200)); // every user used this step and the next
    }
  }
}

const hiddenField = (html: string, name: string) => new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1];
const formAction = (html: string) => /<form\b[^>]*action="([^"]*)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');

async function oneLogin(spec: Extract<LoadSpec, { kind: 'login' }>, agent: http.Agent, pool: UserPool, recorder: Recorder | undefined): Promise<{ refreshToken?: string }> {
  const browser = new Browser(agent, recorder);
  const issuer = new URL(spec.issuer);
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const auth = new URL('/auth', issuer);
  for (const [k, v] of Object.entries({
    response_type: 'code', client_id: spec.client.clientId, redirect_uri: spec.client.redirectUri, scope: spec.scope,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    state, nonce: randomBytes(16).toString('base64url'), ...spec.extraParams,
  })) auth.searchParams.set(k, v);

  const isCallback = (location: string) => location.startsWith(spec.client.redirectUri);
  const follow = async (start: URL) => {
    let reply = await browser.request(start);
    for (let hop = 0; hop < 10 && reply.location && !isCallback(reply.location); hop++) reply = await browser.request(new URL(reply.location, reply.url));
    return reply;
  };

  let reply = await follow(auth);
  if (spec.flow === 'ours') {
    if (!reply.body.includes('name="password"')) throw new Error(`expected the login page, got ${reply.status} ${reply.url.pathname}: ${reply.body.slice(0, 120)}`);
    const { user, code } = await pool.take();
    const origin = { origin: issuer.origin };
    const loginAction = new URL(formAction(reply.body)!, reply.url);
    reply = await browser.request(loginAction, { form: { csrf: hiddenField(reply.body, 'csrf') ?? '', username: user.username, password: user.password }, headers: origin });
    if (!reply.location) throw new Error(`password step did not redirect: ${reply.status} ${reply.body.slice(0, 160)}`);
    reply = await follow(new URL(reply.location, reply.url));
    if (!reply.body.includes('name="code"')) throw new Error(`expected the passcode page, got ${reply.status}: ${reply.body.slice(0, 160)}`);
    reply = await browser.request(new URL(formAction(reply.body)!, reply.url), { form: { csrf: hiddenField(reply.body, 'csrf') ?? '', code }, headers: origin });
    if (!reply.location) throw new Error(`passcode step did not redirect: ${reply.status} ${reply.body.slice(0, 160)}`);
    if (!isCallback(reply.location)) reply = await follow(new URL(reply.location, reply.url));
  }
  if (!reply.location || !isCallback(reply.location)) throw new Error(`no callback: ${reply.status} ${reply.location ?? reply.body.slice(0, 160)}`);
  const callback = new URL(reply.location);
  const code = callback.searchParams.get('code');
  if (!code || callback.searchParams.get('state') !== state) throw new Error(`bad callback ${reply.location.slice(0, 160)}`);

  const token = await browser.request(new URL('/token', issuer), {
    form: { grant_type: 'authorization_code', code, redirect_uri: spec.client.redirectUri, code_verifier: verifier },
    headers: { authorization: basic(spec.client) },
  });
  if (token.status !== 200) throw new Error(`token ${token.status}: ${token.body.slice(0, 160)}`);
  const tokens = JSON.parse(token.body) as { id_token?: string; refresh_token?: string };
  if (!tokens.id_token) throw new Error('no id_token');
  return { refreshToken: tokens.refresh_token };
}

const basic = (client: BenchClient) => `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;

/**
 * Runs `work` on `concurrency` workers until the deadline or the count is reached. With `rate`, open
 * loop: unit n starts at t0 + n / rate (a free worker claims the next slot and sleeps until it); the
 * start lag of every unit goes to `onLag`.
 */
async function runWorkers<S>(concurrency: number, durationMs: number, maxCount: number, makeState: (i: number) => S, work: (state: S) => Promise<void>,
  pacing?: { rate: number; onLag: (ms: number) => void }): Promise<void> {
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  let started = 0;
  await Promise.all(Array.from({ length: concurrency }, async (_, i) => {
    const state = makeState(i);
    while (performance.now() < deadline && started < maxCount) {
      if (pacing) {
        const at = t0 + (started * 1000) / pacing.rate;
        if (at >= deadline) break;
        started++;
        const wait = at - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        pacing.onLag(Math.max(0, performance.now() - at));
      } else {
        started++;
      }
      await work(state);
    }
  }));
}

const pacingOf = (spec: LoadSpec, recorder: Recorder) => (spec.rate ? { rate: spec.rate, onLag: (ms: number) => recorder.startLags.push(ms) } : undefined);

async function runLogin(spec: Extract<LoadSpec, { kind: 'login' }>, phase: 'warmup' | 'measure'): Promise<LoadResult> {
  const recorder = new Recorder();
  const pool = sharedPool ??= new UserPool(spec.users);
  const refreshTokens: string[] = [];
  const agents: http.Agent[] = [];
  await runWorkers(spec.concurrency, phase === 'warmup' ? spec.warmupMs : spec.durationMs, phase === 'warmup' ? Math.max(spec.concurrency, spec.maxCount / 10) : spec.maxCount,
    (i) => (agents[i] = new http.Agent({ keepAlive: true, maxSockets: 1 })),
    async (agent) => {
      const t0 = performance.now();
      try {
        const { refreshToken } = await oneLogin(spec, agent, pool, phase === 'measure' ? recorder : undefined);
        if (refreshToken) refreshTokens.push(refreshToken);
        recorder.done(performance.now() - t0);
      } catch (err) {
        recorder.fail(err);
      }
    }, pacingOf(spec, recorder));
  agents.forEach((a) => a.destroy());
  return recorder.result(spec.collectRefreshTokens ? { refreshTokens } : {}, spec.rate);
}
let sharedPool: UserPool | undefined;

let refreshChains: string[] | undefined;
async function runRefresh(spec: Extract<LoadSpec, { kind: 'refresh' }>, phase: 'warmup' | 'measure'): Promise<LoadResult> {
  const recorder = new Recorder();
  const chains = refreshChains ??= [...spec.tokens];
  const concurrency = Math.min(spec.concurrency, chains.length);
  const url = new URL('/token', spec.issuer);
  const authorization = basic(spec.client);
  await runWorkers(concurrency, phase === 'warmup' ? spec.warmupMs : spec.durationMs, phase === 'warmup' ? spec.maxCount / 10 : spec.maxCount,
    (i) => ({ i, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) }),
    async ({ i, agent }) => {
      const t0 = performance.now();
      try {
        const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: chains[i]! }).toString();
        const reply = await send(agent, url, 'POST', { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body);
        if (reply.status !== 200) throw new Error(`refresh ${reply.status}: ${reply.body.slice(0, 160)}`);
        const tokens = JSON.parse(reply.body) as { refresh_token?: string; id_token?: string };
        if (!tokens.refresh_token || tokens.refresh_token === chains[i]) throw new Error('refresh token was not rotated');
        chains[i] = tokens.refresh_token;
        recorder.done(performance.now() - t0);
      } catch (err) {
        recorder.fail(err);
      }
    }, pacingOf(spec, recorder));
  return recorder.result({}, spec.rate);
}

async function runAutocannon(spec: Extract<LoadSpec, { kind: 'autocannon' }>, phase: 'warmup' | 'measure'): Promise<LoadResult> {
  const recorder = new Recorder();
  const durationMs = phase === 'warmup' ? spec.warmupMs : spec.durationMs;
  const paths = spec.paths;
  const instance = autocannon({
    url: spec.url,
    method: spec.method,
    headers: spec.headers,
    body: spec.body,
    connections: spec.concurrency,
    duration: Math.max(1, durationMs / 1000),
    maxOverallRequests: phase === 'warmup' ? Math.ceil(spec.maxCount / 10) : spec.maxCount,
    ...(paths?.length ? { requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, path: paths[Math.floor(Math.random() * paths.length)]! }) }] } : {}),
  }) as unknown as autocannon.Instance & Promise<autocannon.Result>;
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) recorder.done(responseTime);
    else recorder.fail(`HTTP ${statusCode}`);
  });
  const result = await instance;
  for (let i = 0; i < result.errors + result.timeouts; i++) recorder.fail('connection error or timeout');
  const r = recorder.result();
  // autocannon's own per-second sample median, when it has whole seconds.
  return { ...r, throughput: { median: result.requests.p50 > 0 ? result.requests.p50 : r.throughput.median, mean: r.throughput.mean } };
}

/** The autocannon kind's request shape, open loop: one keep-alive socket per worker, this process's HTTP client. */
async function runPacedHttp(spec: Extract<LoadSpec, { kind: 'autocannon' }>, phase: 'warmup' | 'measure'): Promise<LoadResult> {
  const recorder = new Recorder();
  const base = new URL(spec.url);
  const urls = spec.paths?.length ? spec.paths.map((p) => new URL(p, base)) : [base];
  const headers = { ...spec.headers };
  const agents: http.Agent[] = [];
  await runWorkers(spec.concurrency, phase === 'warmup' ? spec.warmupMs : spec.durationMs, phase === 'warmup' ? Math.ceil(spec.maxCount / 10) : spec.maxCount,
    (i) => (agents[i] = new http.Agent({ keepAlive: true, maxSockets: 1 })),
    async (agent) => {
      const t0 = performance.now();
      try {
        const reply = await send(agent, urls[Math.floor(Math.random() * urls.length)]!, spec.method, headers, spec.body);
        if (reply.status < 200 || reply.status >= 300) throw new Error(`HTTP ${reply.status}: ${reply.body.slice(0, 160)}`);
        recorder.done(performance.now() - t0);
      } catch (err) {
        recorder.fail(err);
      }
    }, pacingOf(spec, recorder));
  agents.forEach((a) => a.destroy());
  return recorder.result({}, spec.rate);
}

async function run(spec: LoadSpec, phase: 'warmup' | 'measure'): Promise<LoadResult> {
  if (spec.kind === 'login') return runLogin(spec, phase);
  if (spec.kind === 'refresh') return runRefresh(spec, phase);
  return spec.rate ? runPacedHttp(spec, phase) : runAutocannon(spec, phase);
}

if (process.send) {
  let spec: LoadSpec | undefined;
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: { type: string; spec?: LoadSpec }) => {
    void (async () => {
      try {
        if (message.type === 'spec') {
          spec = message.spec!;
          if (spec.warmupMs > 0) await run(spec, 'warmup');
          process.send!({ type: 'ready' });
        } else if (message.type === 'go') {
          const result = await run(spec!, 'measure');
          process.send!({ type: 'result', result });
        } else if (message.type === 'exit') {
          process.exit(0);
        }
      } catch (err) {
        process.send!({ type: 'error', message: (err as Error).stack ?? String(err) }, () => process.exit(1));
      }
    })();
  });
}
