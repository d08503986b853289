// The embedded default as a newcomer meets it: the real entry point in a child process, nothing
// configured, an empty data directory. It must serve, print working demo credentials, keep its
// secrets across a restart, stop cleanly on SIGTERM, and refuse production mode unconfigured.
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserAgent, type PageResponse } from '../support/user-agent.js';

const ROOT = resolve(import.meta.dirname, '../..');
const START_TIMEOUT_MS = 30_000;

interface Running {
  child: ChildProcess;
  issuer: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** The environment of a shell with nothing of ours configured (and none of jest's settings). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(NODE_ENV|NODE_OPTIONS|JEST_.*|DATABASE_URL|REDIS_URL|ISSUER|PORT|ADMIN_PORT|KEY_ENCRYPTION_KEY|COOKIE_KEYS|DATA_DIR|BOOTSTRAP_.*|CALLREC_.*|TEST_.*|DEMO_SEED|LOG_LEVEL|TRUST_PROXY)$/.test(key)) delete env[key];
  }
  return { ...env, ...extra };
}

const children: ChildProcess[] = [];

function spawnMain(env: NodeJS.ProcessEnv): Omit<Running, 'issuer'> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { err += chunk; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function startEmbedded(dataDir: string): Promise<Running> {
  const port = await freePort();
  const adminPort = await freePort();
  const issuer = `http://localhost:${port}`;
  const running = { ...spawnMain(cleanEnv({ DATA_DIR: dataDir, PORT: String(port), ADMIN_PORT: String(adminPort), ISSUER: issuer })), issuer };
  let exitedEarly = false;
  void running.exited.then(() => { exitedEarly = true; });

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && !exitedEarly) {
    const ready = await fetch(`${issuer}/.well-known/openid-configuration`).then((r) => r.ok, () => false);
    // The credentials are printed just after the listeners start.
    if (ready && /Demo login:/.test(running.stdout())) return running;
    await new Promise((r) => setTimeout(r, 200));
  }
  running.child.kill('SIGKILL');
  throw new Error(`embedded default did not serve discovery within ${START_TIMEOUT_MS} ms (exited: ${exitedEarly})\nstdout:\n${running.stdout()}\nstderr:\n${running.stderr()}`);
}

function demoCredentials(stdout: string): { username: string; password: string } {
  const match = /Demo login:\s+username "([^"]+)", password "([^"]+)"/.exec(stdout);
  if (!match) throw new Error(`no demo credentials printed:\n${stdout}`);
  return { username: match[1]!, password: match[2]! };
}

/** /demo/login → provider login page → submit → back at /demo with the verified claims. */
async function loginThroughDemo(issuer: string, credentials: { username: string; password: string }): Promise<PageResponse> {
  const agent = new UserAgent();
  const loginPage = await agent.follow(`${issuer}/demo/login`);
  expect(loginPage.status).toBe(200);
  expect(loginPage.body).toContain('Call Recording Login');
  const submitted = await agent.submit(loginPage, credentials);
  expect(submitted.location).toBeDefined();
  return agent.follow(submitted.location!);
}

async function stopWithSigterm(running: Running): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  running.child.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5_000).unref());
  const result = await Promise.race([running.exited, timeout]);
  if (result === 'timeout') {
    running.child.kill('SIGKILL');
    throw new Error(`did not exit within 5 s of SIGTERM\nstderr:\n${running.stderr()}`);
  }
  return result;
}

describe('the embedded default (npm start with nothing configured)', () => {
  const dataDirs: string[] = [];
  async function emptyDataDir() {
    const dir = await mkdtemp(join(tmpdir(), 'callrec-auth-embedded-'));
    dataDirs.push(dir);
    return dir;
  }

  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => {
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('when it starts on an empty data directory, then the printed demo credentials log in through /demo, it stops on SIGTERM, and a restart keeps them', async () => {
    const dataDir = await emptyDataDir();
    const first = await startEmbedded(dataDir);
    const credentials = demoCredentials(first.stdout());
    expect(credentials.username).toBe('admin');
    expect(credentials.password.length).toBeGreaterThanOrEqual(8);

    const demo = await loginThroughDemo(first.issuer, credentials);
    expect(demo.status).toBe(200);
    expect(new URL(demo.url).pathname).toBe('/demo');
    expect(demo.body).toContain('Logged in.');
    expect(demo.body).toMatch(/<dt>preferred_username<\/dt><dd>admin<\/dd>/);
    expect(demo.body).toMatch(/<dt>amr<\/dt><dd>\[&quot;pwd&quot;\]<\/dd>/);
    expect(demo.body).toMatch(/<dt>company_name<\/dt><dd>Demo Company<\/dd>/);

    expect(await stopWithSigterm(first)).toEqual({ code: 0, signal: null });

    const second = await startEmbedded(dataDir);
    expect(demoCredentials(second.stdout())).toEqual(credentials);
    const again = await loginThroughDemo(second.issuer, credentials);
    expect(again.body).toMatch(/<dt>preferred_username<\/dt><dd>admin<\/dd>/);
    expect(await stopWithSigterm(second)).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('when NODE_ENV=production and nothing is configured, then it exits non-zero with one line per missing variable', async () => {
    const dataDir = await emptyDataDir();
    const running = spawnMain(cleanEnv({ NODE_ENV: 'production', DATA_DIR: dataDir, PORT: String(await freePort()), ADMIN_PORT: String(await freePort()) }));
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000).unref());
    const result = await Promise.race([running.exited, timeout]);
    expect(result).not.toBe('timeout');
    expect((result as { code: number | null }).code).not.toBe(0);
    expect((result as { code: number | null }).code).not.toBeNull();

    const lines = running.stderr().split('\n');
    for (const variable of ['DATABASE_URL', 'REDIS_URL', 'KEY_ENCRYPTION_KEY', 'COOKIE_KEYS', 'ISSUER']) {
      expect({ variable, lines: lines.filter((line) => new RegExp(`^\\s*${variable}\\b`).test(line.replace(/^callrec-auth:\s*/, ''))).length }).toEqual({ variable, lines: 1 });
    }
    expect(running.stderr()).not.toMatch(/\bat .*\.(js|ts):\d+/);
    expect(running.stdout()).not.toContain('Demo login');
  }, 30_000);
});
