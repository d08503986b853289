// Fault: two replicas behind a round-robin load balancer; one is killed mid-run, the other is
// then shut down gracefully. Both run as production does (`node --import tsx src/main.ts`,
// NODE_ENV=production), share the issuer (the proxy's URL), the database, a Redis server of this
// test's own and the secrets. The proxy (test/support/fault-kit.ts) alternates requests between
// them and, like a load balancer with passive health checks, takes a backend out when it refuses
// a connection and re-sends that request to the other one.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  discoverRp, errorLogLines, failureKinds, freePort, newSecrets, requestsOf, requirements, seconds, seedTenant, sleep,
  startRedisServer, startRoundRobinProxy, startService, steadyLogins, stopAllChildren, timedLogin,
  type FaultTenant, type LoginResult, type RoundRobinProxy, type ServiceProcess,
} from '../support/fault-kit.js';

const GRACE_MS = 5000; // SHUTDOWN_GRACE_SECONDS=5

describe('fault: two replicas behind a round-robin proxy', () => {
  let database: TestDatabase;
  let a: ServiceProcess;
  let b: ServiceProcess;
  let proxy: RoundRobinProxy;
  let tenant: FaultTenant;
  let config: oidc.Configuration;
  const secrets = newSecrets();

  beforeAll(async () => {
    try {
      database = await createTestDatabase();
      tenant = await seedTenant(database.db, secrets.KEY_ENCRYPTION_KEY, 4);
      const redis = await startRedisServer();
      const proxyPort = await freePort();
      const issuer = `http://127.0.0.1:${proxyPort}`;
      const common = { issuer, databaseUrl: database.url, redisUrl: redis.url, secrets };
      [a, b] = await Promise.all([startService({ name: 'A', ...common }), startService({ name: 'B', ...common })]);
      proxy = await startRoundRobinProxy([{ name: 'A', url: a.publicUrl }, { name: 'B', url: b.publicUrl }], proxyPort);
      config = await discoverRp(issuer, tenant.client);
    } catch (err) {
      await stopAllChildren();
      throw err;
    }
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
    await stopAllChildren();
    await database?.drop();
  }, 30_000);

  const userFor = (i: number) => tenant.users[i % tenant.users.length]!;
  const backendsOf = (login: LoginResult) => new Set(login.requests.map((r) => r.backend).filter(Boolean));

  it('when logins run through the proxy, then their requests interleave across both replicas and every one gets a valid ID token', async () => {
    let i = 0;
    // One login at a time: with strict alternation every login's consecutive requests land on both.
    const load = steadyLogins(1, async () => {
      const user = userFor(i++);
      const login = await timedLogin(config, tenant.client, user);
      return login.ok && login.sub !== user.id ? { ...login, ok: false, error: `ID token for ${login.sub}, expected ${user.id}` } : login;
    }, { maxLogins: 12, maxMs: 20_000 });
    const results = await load.done;
    const spanning = results.filter((l) => backendsOf(l).size === 2).length;
    console.log(`FAULT replicas-interleave: ${results.length} logins, ${results.filter((l) => l.ok).length} ok with a valid ID token, ` +
      `${spanning} used both replicas within one login; proxied requests A=${proxy.counts.A} B=${proxy.counts.B}`);
    expect(results.filter((l) => !l.ok).map((l) => l.error)).toEqual([]);
    expect(spanning).toBe(results.length);
    expect(proxy.counts.A).toBeGreaterThan(10);
    expect(proxy.counts.B).toBeGreaterThan(10);
  }, 60_000);

  it('when one replica is killed (SIGKILL) during a steady login load, then every completed login has a valid ID token, the proxy fails over, and the survivor keeps serving', async () => {
    const countsBefore = { ...proxy.counts };
    let i = 0;
    const load = steadyLogins(4, async () => {
      const user = userFor(i++);
      const login = await timedLogin(config, tenant.client, user);
      return login.ok && login.sub !== user.id ? { ...login, ok: false, error: `ID token for ${login.sub}, expected ${user.id}` } : login;
    }, { maxLogins: 400, maxMs: 15_000 });
    await sleep(2500);
    const killAt = Date.now();
    a.kill('SIGKILL');
    const killed = await a.exited;
    const goneAt = Date.now(); // from here on the kernel refuses A's port
    await sleep(4000);
    load.stop();
    const results = await load.done;

    const before = results.filter((l) => l.end < killAt);
    const inFlight = results.filter((l) => l.start < goneAt && l.end >= killAt);
    const after = results.filter((l) => l.start >= goneAt);
    const completed = results.filter((l) => l.ok);
    const failed = results.filter((l) => !l.ok);
    const survivorServed = requestsOf(after).filter((r) => r.backend === 'B').length;
    const servedAfterKill = { A: proxy.counts.A! - countsBefore.A!, B: proxy.counts.B! - countsBefore.B! };
    console.log(`FAULT replica-kill: ${results.length} logins (${before.length} before the kill, ${inFlight.length} in flight, ${after.length} after), ` +
      `${completed.length} completed each with a valid ID token for its user, ${failed.length} failed (all in flight: ${failed.every((l) => inFlight.includes(l))}); ` +
      `proxy: ${proxy.retried} requests re-sent to the survivor, ${proxy.badGateway} 502 for POSTs cut off mid-flight; A gone ${goneAt - killAt} ms after SIGKILL; ` +
      `survivor answered ${survivorServed} requests of logins started after the kill; A exited by ${killed.signal}; during this run A=${servedAfterKill.A} B=${servedAfterKill.B}` +
      (failed.length ? `; failures: ${failureKinds(requestsOf(failed).filter((r) => r.status === 0 || r.status >= 400))}` : ''));

    const { check, violations } = requirements();
    check(killed.signal === 'SIGKILL', `replica A was killed: ${JSON.stringify(killed)}`);
    check(before.length > 0 && before.every((l) => l.ok), `logins before the kill all succeed: ${before.filter((l) => !l.ok).map((l) => l.error).join('; ')}`);
    check(failed.every((l) => inFlight.includes(l)), `only logins in flight at the kill may fail: ${failed.filter((l) => !inFlight.includes(l)).map((l) => l.error).join('; ')}`);
    check(after.length > 0 && after.every((l) => l.ok), `every login started after the kill succeeds on the survivor: ${after.filter((l) => !l.ok).map((l) => l.error).join('; ')}`);
    check(survivorServed > 0 && requestsOf(after).every((r) => r.backend === 'B' || r.backend === undefined), 'the survivor serves everything after the kill');
    check(proxy.down.has('A') && !proxy.down.has('B'), `the proxy took A out, not B: ${[...proxy.down].join(',')}`);
    check(errorLogLines(b).filter((l) => /unhandled error/.test(l)).length === 0, 'no unhandled error on the survivor');
    expect(violations).toEqual([]);
  }, 60_000);

  it('when the surviving replica gets SIGTERM with requests in flight, then /readyz turns 503 draining first, the in-flight logins complete, and it exits 0 within the grace period', async () => {
    let i = 0;
    const load = steadyLogins(4, () => timedLogin(config, tenant.client, userFor(i++)), { maxLogins: 200, maxMs: 10_000 });
    await sleep(1500);
    const termAt = Date.now();
    b.kill('SIGTERM');
    load.stop(); // no new logins; the ones in flight carry on with their next requests
    const readiness: Array<{ at: number; status: number; body: any; healthz: number }> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    const exit = b.exited.then((r) => ({ ...r, at: Date.now() }));
    let exited = false;
    void exit.then(() => { exited = true; });
    while (!exited && Date.now() - termAt < GRACE_MS + 5000) {
      const at = Date.now();
      try {
        const [ready, health] = await Promise.all([
          fetch(`${b.publicUrl}/readyz`, { signal: AbortSignal.timeout(1000) }),
          fetch(`${b.publicUrl}/healthz`, { signal: AbortSignal.timeout(1000) }),
        ]);
        readiness.push({ at, status: ready.status, body: await ready.json().catch(() => undefined), healthz: health.status });
      } catch {
        readiness.push({ at, status: 0, body: undefined, healthz: 0 });
      }
      await sleep(100);
    }
    const { code, signal, at: exitAt } = await exit;
    const results = await load.done;

    const inFlightLogins = results.filter((l) => l.start < termAt && l.end >= termAt);
    const inFlightRequests = requestsOf(results).filter((r) => r.start < termAt && r.end > termAt);
    const firstAnswer = readiness.find((s) => s.status !== 0);
    const served = readiness.filter((s) => s.status !== 0);
    const draining = served.filter((s) => s.status === 503 && s.body?.status === 'draining');
    const requestsDuringDrain = requestsOf(results).filter((r) => r.start > termAt && r.status > 0 && r.status < 400).length;
    console.log(`FAULT graceful-shutdown: SIGTERM with ${inFlightRequests.length} requests / ${inFlightLogins.length} logins in flight; ` +
      `first /readyz ${firstAnswer ? firstAnswer.at - termAt : '-'} ms after SIGTERM → ${firstAnswer?.status} ${firstAnswer?.body?.status}; ` +
      `${draining.length}/${served.length} readiness answers said draining while /healthz stayed ${[...new Set(served.map((s) => s.healthz))].join(',')}; ` +
      `${requestsDuringDrain} requests served during the drain; in-flight logins ok ${inFlightLogins.filter((l) => l.ok).length}/${inFlightLogins.length}; ` +
      `exit code ${code}${signal ? ` signal ${signal}` : ''} after ${seconds(exitAt - termAt)} (grace ${seconds(GRACE_MS)})` +
      (inFlightLogins.some((l) => !l.ok) ? `; failures: ${failureKinds(requestsOf(inFlightLogins.filter((l) => !l.ok)).filter((r) => r.status === 0 || r.status >= 400))}` : ''));

    const { check, violations } = requirements();
    check(inFlightRequests.length > 0 || inFlightLogins.length > 0, 'there were requests in flight at SIGTERM');
    check(firstAnswer !== undefined && firstAnswer.status === 503 && firstAnswer.body?.status === 'draining', `/readyz answers 503 draining right after SIGTERM: ${JSON.stringify(firstAnswer)}`);
    check(served.length > 0 && served.every((s) => s.status === 503), `/readyz stays 503 until the listener closes: ${served.map((s) => s.status).join(',')}`);
    check(inFlightRequests.every((r) => r.status > 0 && r.status < 400), `every request in flight at SIGTERM completes: ${failureKinds(inFlightRequests.filter((r) => !(r.status > 0 && r.status < 400)))}`);
    check(inFlightLogins.every((l) => l.ok), `every login in flight at SIGTERM completes: ${inFlightLogins.filter((l) => !l.ok).map((l) => l.error).join('; ')}`);
    check(code === 0 && signal === null, `the process exits 0: code ${code}, signal ${signal}`);
    check(exitAt - termAt <= GRACE_MS, `it exits within the grace period (${GRACE_MS} ms): ${exitAt - termAt} ms`);
    expect(violations).toEqual([]);
  }, 60_000);
});
