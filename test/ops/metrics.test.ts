import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { createCompany, createRelyingParty, createUser } from '../support/fixtures.js';
import { discover, loginWithPassword } from '../support/relying-party.js';
import { UserAgent } from '../support/user-agent.js';
import { toolingToken } from '../support/admin-client.js';

describe('Prometheus metrics on the admin listener', () => {
  let env: TestEnvironment;
  let instance: TestInstance;

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance();
  });
  afterAll(async () => env?.close());

  const scrape = async () => {
    const res = await fetch(`${instance.adminUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    return res.text();
  };
  const value = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(series));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('when logins succeed and fail and tokens are issued, then the counters say so', async () => {
    const company = await createCompany(env.db);
    const user = await createUser(env.db, { companyId: company.id });
    const client = await createRelyingParty(env.db, env.keyEncryptionKey);
    const config = await discover(instance.issuer, client);
    const before = await scrape();

    await loginWithPassword(config, client, user);
    await expect(loginWithPassword(config, client, { username: user.username, password: 'wrong password!' }, {}, new UserAgent())).rejects.toThrow();
    await toolingToken(env, instance);

    const after = await scrape();
    expect(value(after, 'callrec_logins_succeeded_total{method="password"}') - value(before, 'callrec_logins_succeeded_total{method="password"}')).toBe(1);
    expect(value(after, 'callrec_logins_failed_total{step="password"}') - value(before, 'callrec_logins_failed_total{step="password"}')).toBe(1);
    expect(value(after, 'callrec_logins_started_total') - value(before, 'callrec_logins_started_total')).toBe(2);
    expect(value(after, 'callrec_tokens_issued_total{grant_type="client_credentials"}')).toBeGreaterThanOrEqual(1);
    expect(value(after, 'callrec_tokens_issued_total{grant_type="authorization_code"}')).toBeGreaterThanOrEqual(1);
    expect(after).toMatch(/callrec_http_requests_total\{listener="public",route="\/interaction\/:uid\/login",method="POST",status="401"\} 1/);
    expect(after).toMatch(/callrec_http_request_duration_seconds_bucket\{le="[^"]+",listener="public",route="\/token"/);
    expect(after).toMatch(/nodejs_eventloop_lag_seconds \d/);
    // Nothing secret or personal leaks into labels.
    expect(after).not.toContain(user.username);
    expect(after).not.toContain(user.password);
  });
});
