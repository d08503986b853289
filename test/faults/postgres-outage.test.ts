// Fault: PostgreSQL goes away under load and comes back. The service runs as production does
// (`node --import tsx src/main.ts`, NODE_ENV=production) against a PostgreSQL cluster of this
// test's own (initdb in a temp dir; `pg_ctl stop -m fast` / `start` on the same port), so the
// machine's shared PostgreSQL is never disturbed, and a Redis server of its own.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import knexFactory from 'knex';
import { connectPostgres } from '../../src/db/connection.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { clientCredentialsToken } from '../support/admin-client.js';
import {
  analyseOutage, dataFingerprint, describeFailures, discoverRp, errorLogKinds, errorLogLines, failureKinds, freePort, newSecrets,
  requirements, seconds, seedTenant, sleep, startPrivatePostgres, startRedisServer, startService, statusHistogram, steadyLogins,
  stopAllChildren, timedLogin, watchReadiness,
  type FaultTenant, type PrivatePostgres, type ServiceProcess,
} from '../support/fault-kit.js';
import type { Knex } from 'knex';

const OUTAGE_MS = 3000;
const RECOVERY_LIMIT_MS = 5000;
const BOOTSTRAP = { id: 'fault-admin-tool', secret: 'fault-admin-tool-secret-0123456789abcdef' };

describe('fault: PostgreSQL restarted', () => {
  let pg: PrivatePostgres;
  let service: ServiceProcess;
  let tenant: FaultTenant;
  let config: oidc.Configuration;
  let issuer: string;
  const secrets = newSecrets();

  beforeAll(async () => {
    try {
      pg = await startPrivatePostgres();
      const admin = knexFactory({ client: 'pg', connection: pg.url(), pool: { min: 0, max: 1 } });
      try { await admin.raw('create database callrec'); } finally { await admin.destroy(); }
      tenant = await withDb(async (db) => {
        await migrateToLatest(db);
        return seedTenant(db, secrets.KEY_ENCRYPTION_KEY, 3);
      });
      const redis = await startRedisServer();
      const port = await freePort();
      issuer = `http://127.0.0.1:${port}`;
      service = await startService({
        name: 'postgres-fault', issuer, port, databaseUrl: pg.url('callrec'), redisUrl: redis.url, secrets,
        env: { BOOTSTRAP_ADMIN_CLIENT_ID: BOOTSTRAP.id, BOOTSTRAP_ADMIN_CLIENT_SECRET: BOOTSTRAP.secret },
      });
      config = await discoverRp(issuer, tenant.client);
    } catch (err) {
      await stopAllChildren();
      throw err;
    }
  }, 90_000);

  afterAll(async () => {
    await stopAllChildren();
  }, 30_000);

  /** A short-lived connection of the test's own (none is left open across an outage). */
  async function withDb<T>(fn: (db: Knex) => Promise<T>): Promise<T> {
    const db = connectPostgres({ url: pg.url('callrec'), poolMax: 1 });
    try { return await fn(db); } finally { await db.destroy(); }
  }

  async function waitReady(timeoutMs = 10_000): Promise<number> {
    const start = Date.now();
    while (Date.now() - start < timeoutMs) {
      const res = await fetch(`${service.publicUrl}/readyz`).catch(() => undefined);
      if (res?.status === 200) return Date.now() - start;
      await sleep(100);
    }
    throw new Error('service not ready');
  }

  it('when PostgreSQL is stopped and started during a steady login load, then requests fail fast with 503 only while it is down, /readyz names postgres, and logins recover within 5 s without a restart', async () => {
    const dataBefore = await withDb(dataFingerprint);
    const warm = await timedLogin(config, tenant.client, tenant.users[0]!);
    expect(warm.error).toBeUndefined();

    const readiness = watchReadiness(service.publicUrl, 250);
    let userIndex = 0;
    const load = steadyLogins(3, () => timedLogin(config, tenant.client, tenant.users[userIndex++ % tenant.users.length]!), { maxLogins: 600, maxMs: 25_000 });
    await sleep(2500);
    const stopAt = Date.now();
    await pg.stop();
    const downAt = Date.now();
    await sleep(OUTAGE_MS);
    const startAt = Date.now();
    await pg.start();
    const upAt = Date.now();
    await sleep(RECOVERY_LIMIT_MS + 2500);
    load.stop();
    const results = await load.done;
    await readiness.stop();

    // The outage starts when pg_ctl begins the fast shutdown (sessions are terminated then).
    const figures = analyseOutage(results, stopAt, upAt);
    const whileDown = readiness.samples.filter((s) => s.at > downAt + 300 && s.at + s.ms < startAt);
    const saidPostgresDown = whileDown.filter((s) => s.status === 503 && s.body?.dependencies?.postgres === 'down' && s.body?.dependencies?.redis === 'up');
    const readyAfter = readiness.samples.filter((s) => s.at > upAt + RECOVERY_LIMIT_MS);
    const dataAfter = await withDb(dataFingerprint);
    const errorLogs = errorLogLines(service);

    console.log(`FAULT postgres-restart: ${figures.logins} logins (${figures.logins - figures.failedLogins.length} ok), ` +
      `${figures.failedLogins.length} failed logins / ${figures.failedRequests.length} failed requests [${statusHistogram(figures.failedRequests)}] while down (${seconds(upAt - stopAt)} incl. ${seconds(downAt - stopAt)} shutdown), ` +
      `slowest request while down ${figures.slowestDuringOutageMs} ms, recovered ${seconds(figures.recoveryMs)} after return, ` +
      `${figures.afterRecovery.logins} logins after recovery with ${figures.afterRecovery.failed} failures, ` +
      `/readyz said postgres down in ${saidPostgresDown.length}/${whileDown.length} polls, ${figures.beforeOutage.failed} errors before the outage, ` +
      `${errorLogs.length} error log lines, rows ${JSON.stringify(dataAfter)} (0 lost: ${JSON.stringify(dataBefore) === JSON.stringify(dataAfter)})`);
    console.log(`FAULT postgres-restart failed requests: ${failureKinds(figures.failedRequests)}`);
    console.log(`FAULT postgres-restart service error log: ${errorLogKinds(service)}`);

    const { check, violations } = requirements();
    check(figures.beforeOutage.logins > 0 && figures.beforeOutage.failed === 0, `logins before the outage all succeed: ${figures.beforeOutage.failed}/${figures.beforeOutage.logins} failed`);
    check(figures.failedLogins.length > 0, 'the outage is felt by some logins');
    check(figures.slowFailures.length === 0, `every failing request answers within 2 s: ${describeFailures(figures.slowFailures)}`);
    check(figures.noAnswer.length === 0, `no request hangs or loses its connection: ${describeFailures(figures.noAnswer)}`);
    check(figures.wrongStatus.length === 0, `failing requests answer 503, never 500 or a 4xx error page: ${failureKinds(figures.wrongStatus)}`);
    check(figures.stackTraces.length === 0, `no stack trace in any answer: ${describeFailures(figures.stackTraces)}`);
    check(saidPostgresDown.length > 0 && whileDown.every((s) => s.status === 503), `/readyz answers 503 with postgres: down while it is down: ${JSON.stringify(whileDown.map((s) => [s.status, s.body?.dependencies]))}`);
    check(figures.recoveryMs <= RECOVERY_LIMIT_MS, `logins recover within 5 s of PostgreSQL returning: ${figures.recoveryMs} ms`);
    check(figures.afterRecovery.logins > 0 && figures.afterRecovery.failed === 0, `every login after recovery succeeds: ${figures.afterRecovery.failed}/${figures.afterRecovery.logins} failed`);
    check(readyAfter.length > 0 && readyAfter.every((s) => s.status === 200), `/readyz is 200 again after recovery: ${JSON.stringify(readyAfter.map((s) => s.status))}`);
    check(JSON.stringify(dataAfter) === JSON.stringify(dataBefore), `nothing lost in PostgreSQL: ${JSON.stringify(dataBefore)} → ${JSON.stringify(dataAfter)}`);
    check(!/"msg":"unhandled error"/.test(service.output()), 'no unhandled error in the service log');
    expect(violations).toEqual([]);
  }, 60_000);

  it('when PostgreSQL is down, then an admin API call answers 503 problem+json within 2 s, and answers 200 again after it returns', async () => {
    await waitReady();
    const token = await clientCredentialsToken(issuer, BOOTSTRAP.id, BOOTSTRAP.secret);
    const call = async () => {
      const start = Date.now();
      const res = await fetch(`${service.adminUrl}/admin/v1/users/${tenant.users[0]!.id}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(8000) });
      const text = await res.text();
      return { status: res.status, type: res.headers.get('content-type') ?? '', retryAfter: res.headers.get('retry-after'), text, ms: Date.now() - start };
    };
    const before = await call();
    await pg.stop();
    const whileDown: Awaited<ReturnType<typeof call>>[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        whileDown.push(await call().catch((err: Error) => ({ status: 0, type: '', retryAfter: null, text: err.message, ms: -1 })));
        await sleep(200);
      }
    } finally {
      await pg.start();
    }
    const upAt = Date.now();
    let after = await call();
    while (after.status !== 200 && Date.now() - upAt < 10_000) { await sleep(100); after = await call(); }
    const recoveredMs = Date.now() - upAt;

    console.log(`FAULT admin-postgres-down: GET /admin/v1/users/:id before → ${before.status}; while PostgreSQL down → ${whileDown.map((r) => `${r.status} ${r.type.split(';')[0]} in ${r.ms} ms`).join(', ')}; ` +
      `after return → ${after.status} within ${seconds(recoveredMs)}; body: ${whileDown[0]?.text.slice(0, 160)}`);
    expect(before.status).toBe(200);
    for (const answer of whileDown) {
      expect(answer).toMatchObject({ status: 503 });
      expect(answer.type).toMatch(/^application\/problem\+json/);
      expect(answer.ms).toBeLessThanOrEqual(2000);
      expect(JSON.parse(answer.text)).toMatchObject({ status: 503, type: 'urn:callrec-auth:problem:unavailable' });
      expect(answer.text).not.toMatch(/\s+at\s+\S+.*:\d+:\d+/);
    }
    expect(after.status).toBe(200);
    expect(recoveredMs).toBeLessThanOrEqual(RECOVERY_LIMIT_MS);
  }, 45_000);
});
