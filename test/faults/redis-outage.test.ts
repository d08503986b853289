// Fault: Redis (sessions, interactions, throttles) goes away under load and comes back. The service
// runs as production does (`node --import tsx src/main.ts`, NODE_ENV=production) against a Redis
// server of this test's own, which the test kills (SIGKILL) and restarts on the same port with no
// persistence — what a crashed and rescheduled Redis pod looks like.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  analyseOutage, dataFingerprint, describeFailures, discoverRp, errorLogKinds, errorLogLines, failureKinds, freePort, requirements, newSecrets, seconds, seedTenant, sleep,
  startRedisServer, startService, statusHistogram, steadyLogins, stopAllChildren, timedLogin, watchReadiness,
  type FaultTenant, type RedisServer, type ServiceProcess,
} from '../support/fault-kit.js';
import { loginToPasscodePage, totpCode } from '../support/mfa.js';
import type { PageResponse } from '../support/user-agent.js';

const OUTAGE_MS = 3000;
const RECOVERY_LIMIT_MS = 5000;

describe('fault: Redis restarted', () => {
  let database: TestDatabase;
  let redis: RedisServer;
  let service: ServiceProcess;
  let tenant: FaultTenant;
  let config: oidc.Configuration;
  const secrets = newSecrets();

  beforeAll(async () => {
    try {
      database = await createTestDatabase();
      tenant = await seedTenant(database.db, secrets.KEY_ENCRYPTION_KEY, 3);
      redis = await startRedisServer();
      const port = await freePort();
      const issuer = `http://127.0.0.1:${port}`;
      service = await startService({ name: 'redis-fault', issuer, port, databaseUrl: database.url, redisUrl: redis.url, secrets });
      config = await discoverRp(issuer, tenant.client);
    } catch (err) {
      await stopAllChildren();
      throw err;
    }
  }, 60_000);

  afterAll(async () => {
    await stopAllChildren();
    await database?.drop();
  }, 30_000);

  async function waitReady(timeoutMs = 10_000): Promise<number> {
    const start = Date.now();
    while (Date.now() - start < timeoutMs) {
      const res = await fetch(`${service.publicUrl}/readyz`).catch(() => undefined);
      if (res?.status === 200) return Date.now() - start;
      await sleep(100);
    }
    throw new Error('service not ready');
  }

  it('when Redis is killed and restarted during a steady login load, then requests fail fast with 503 only while it is down, /readyz names redis, and logins recover within 5 s without a restart and with nothing lost in PostgreSQL', async () => {
    const dataBefore = await dataFingerprint(database.db);
    // Warm up (first requests compile templates, open pools).
    const warm = await timedLogin(config, tenant.client, tenant.users[0]!);
    expect(warm.error).toBeUndefined();

    const readiness = watchReadiness(service.publicUrl, 250);
    let userIndex = 0;
    const load = steadyLogins(3, () => timedLogin(config, tenant.client, tenant.users[userIndex++ % tenant.users.length]!), { maxLogins: 600, maxMs: 20_000 });
    await sleep(2500);
    const downAt = Date.now();
    await redis.stop();
    await sleep(OUTAGE_MS);
    const startAt = Date.now();
    await redis.start();
    const upAt = Date.now();
    await sleep(RECOVERY_LIMIT_MS + 2500);
    load.stop();
    const results = await load.done;
    await readiness.stop();

    const figures = analyseOutage(results, downAt, upAt);
    const whileDown = readiness.samples.filter((s) => s.at > downAt + 300 && s.at + s.ms < startAt);
    const saidRedisDown = whileDown.filter((s) => s.status === 503 && s.body?.dependencies?.redis === 'down' && s.body?.dependencies?.postgres === 'up');
    const readyAfter = readiness.samples.filter((s) => s.at > upAt + RECOVERY_LIMIT_MS);
    const dataAfter = await dataFingerprint(database.db);
    const errorLogs = errorLogLines(service);

    console.log(`FAULT redis-restart: ${figures.logins} logins (${figures.logins - figures.failedLogins.length} ok), ` +
      `${figures.failedLogins.length} failed logins / ${figures.failedRequests.length} failed requests [${statusHistogram(figures.failedRequests)}] while down (${seconds(upAt - downAt)}), ` +
      `slowest request while down ${figures.slowestDuringOutageMs} ms, recovered ${seconds(figures.recoveryMs)} after return, ` +
      `${figures.afterRecovery.logins} logins after recovery with ${figures.afterRecovery.failed} failures, ` +
      `/readyz said redis down in ${saidRedisDown.length}/${whileDown.length} polls, ${figures.beforeOutage.failed} errors before the outage, ` +
      `${errorLogs.length} error log lines, PostgreSQL rows ${JSON.stringify(dataAfter)} (0 lost: ${JSON.stringify(dataBefore) === JSON.stringify(dataAfter)})`);
    console.log(`FAULT redis-restart failed requests: ${failureKinds(figures.failedRequests)}`);
    console.log(`FAULT redis-restart service error log: ${errorLogKinds(service)}`);

    const { check, violations } = requirements();
    check(figures.beforeOutage.logins > 0 && figures.beforeOutage.failed === 0, `logins before the outage all succeed: ${figures.beforeOutage.failed}/${figures.beforeOutage.logins} failed`);
    check(figures.failedLogins.length > 0, 'the outage is felt by some logins');
    check(figures.slowFailures.length === 0, `every failing request answers within 2 s: ${describeFailures(figures.slowFailures)}`);
    check(figures.noAnswer.length === 0, `no request hangs or loses its connection: ${describeFailures(figures.noAnswer)}`);
    check(figures.wrongStatus.length === 0, `failing requests answer 503 (or "login expired" for a lost interaction), never 500 or a 4xx error page: ${failureKinds(figures.wrongStatus)}`);
    check(figures.stackTraces.length === 0, `no stack trace in any answer: ${describeFailures(figures.stackTraces)}`);
    check(saidRedisDown.length > 0 && whileDown.every((s) => s.status === 503), `/readyz answers 503 with redis: down while it is down: ${JSON.stringify(whileDown.map((s) => [s.status, s.body?.dependencies]))}`);
    check(figures.recoveryMs <= RECOVERY_LIMIT_MS, `logins recover within 5 s of Redis returning: ${figures.recoveryMs} ms`);
    check(figures.afterRecovery.logins > 0 && figures.afterRecovery.failed === 0, `every login after recovery succeeds: ${figures.afterRecovery.failed}/${figures.afterRecovery.logins} failed`);
    check(readyAfter.length > 0 && readyAfter.every((s) => s.status === 200), `/readyz is 200 again after recovery: ${JSON.stringify(readyAfter.map((s) => s.status))}`);
    check(JSON.stringify(dataAfter) === JSON.stringify(dataBefore), `nothing lost in PostgreSQL: ${JSON.stringify(dataBefore)} → ${JSON.stringify(dataAfter)}`);
    check(!/"msg":"unhandled error"/.test(service.output()), 'no unhandled error in the service log');
    check(service.pid > 0 && (await Promise.race([service.exited.then(() => true), sleep(0).then(() => false)])) === false, 'the service was not restarted (same process still running)');
    expect(violations).toEqual([]);
  }, 60_000);

  it('when Redis is down at the passcode step, then the right code never gets through (fail closed), and after Redis returns a new login with a passcode works', async () => {
    await waitReady();
    const { mfaUser } = tenant;
    const stepBefore = (await database.db('mfa_authenticators').where({ user_id: mfaUser.id }).first('last_used_step')).last_used_step;
    const atPasscode = await loginToPasscodePage(config, tenant.client, mfaUser);

    await redis.stop();
    const answers: Array<{ status: number; ms: number; location?: string; body: string }> = [];
    try {
      const until = Date.now() + 2500;
      while (Date.now() < until) {
        const start = Date.now();
        const code = answers.length % 2 === 0 ? await totpCode(mfaUser.secret) : '000000';
        const res: PageResponse = await atPasscode.agent.submit(atPasscode.page, { code });
        answers.push({ status: res.status, ms: Date.now() - start, location: res.location, body: res.body });
        await sleep(100);
      }
    } finally {
      await redis.start();
    }
    const stepWhileDown = (await database.db('mfa_authenticators').where({ user_id: mfaUser.id }).first('last_used_step')).last_used_step;
    const recoveredIn = await waitReady();
    // The interaction lived in the Redis that went away: the old page is expired, not a way in.
    const afterReturn = await atPasscode.agent.submit(atPasscode.page, { code: await totpCode(mfaUser.secret) });
    // A new login through the passcode step succeeds once Redis is back.
    const fresh = await loginToPasscodePage(config, tenant.client, mfaUser);
    const finished = await fresh.agent.submit(fresh.page, { code: await totpCode(mfaUser.secret) });

    const statuses = [...new Set(answers.map((a) => a.status))].join(',');
    console.log(`FAULT redis-passcode: ${answers.length} passcode submissions while Redis down (right and wrong codes) → statuses ${statuses}, ` +
      `slowest ${Math.max(...answers.map((a) => a.ms))} ms, 0 accepted: ${answers.every((a) => !a.location)}, last_used_step ${stepBefore} → ${stepWhileDown} while down; ` +
      `ready ${recoveredIn} ms after Redis returned; stale page after return → ${afterReturn.status}; new passcode login → ${finished.status} ${finished.location ? 'redirect' : ''}`);

    expect(answers.length).toBeGreaterThan(3);
    for (const answer of answers) {
      expect(answer.location).toBeUndefined(); // never a redirect onwards (no login result)
      expect(answer.status).toBe(503);
      expect(answer.ms).toBeLessThanOrEqual(2000);
      expect(answer.body).not.toMatch(/\s+at\s+\S+.*:\d+:\d+/);
    }
    expect(stepWhileDown).toBe(stepBefore); // the code was not consumed either
    expect(afterReturn.location).toBeUndefined();
    expect(afterReturn.status).toBeGreaterThanOrEqual(400);
    expect(finished.status).toBe(303);
    expect(finished.location).toBeDefined();
  }, 45_000);

  it('when only the throttle store fails (Redis refuses the commands the passcode throttle uses), then the right code is still refused, and accepted once the throttle works again', async () => {
    await waitReady();
    const { mfaUser } = tenant;
    // The previous test used the current TOTP step; the next one (also accepted) is still fresh.
    const nextStep = () => totpCode(mfaUser.secret, Math.floor(Date.now() / 1000) + 30);
    const atPasscode = await loginToPasscodePage(config, tenant.client, mfaUser);
    const stepBefore = (await database.db('mfa_authenticators').where({ user_id: mfaUser.id }).first('last_used_step')).last_used_step;
    // The throttle reads its counter with MULTI GET+PTTL; the interaction store never uses PTTL.
    await redis.cli('ACL', 'SETUSER', 'default', '-pttl');
    let refused: PageResponse;
    const start = Date.now();
    try {
      refused = await atPasscode.agent.submit(atPasscode.page, { code: await nextStep() });
    } finally {
      await redis.cli('ACL', 'SETUSER', 'default', '+@all');
    }
    const ms = Date.now() - start;
    const stepWhileRefused = (await database.db('mfa_authenticators').where({ user_id: mfaUser.id }).first('last_used_step')).last_used_step;
    const accepted = await atPasscode.agent.submit(atPasscode.page, { code: await nextStep() });

    console.log(`FAULT throttle-store-error: right passcode while the throttle store errors → ${refused.status} in ${ms} ms (redirect: ${Boolean(refused.location)}), ` +
      `last_used_step ${stepBefore} → ${stepWhileRefused}; same interaction once the store works → ${accepted.status}`);
    expect(refused.location).toBeUndefined();
    expect(refused.status).toBeGreaterThanOrEqual(500);
    expect(refused.body).not.toMatch(/\s+at\s+\S+.*:\d+:\d+/);
    expect(stepWhileRefused).toBe(stepBefore);
    expect(accepted.status).toBe(303);
  }, 60_000);
});
