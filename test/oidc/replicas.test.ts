// Replicas behind one issuer share PostgreSQL, Redis and secrets: any of them can continue a login
// another one started, and they all publish the same keys. Each instance listens on its own port;
// the test plays the load balancer by sending each request to the replica it chooses.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { createCompany, createRelyingParty, createUser, type TestClient } from '../support/fixtures.js';
import { discover, finishAuthorization, isCallback, openAuthorization, startAuthorization } from '../support/relying-party.js';
import { UserAgent, parseForms, type PageResponse } from '../support/user-agent.js';

describe('replicas sharing PostgreSQL and Redis', () => {
  let env: TestEnvironment;
  let a: TestInstance;
  let b: TestInstance;
  let client: TestClient;
  let user: Awaited<ReturnType<typeof createUser>>;
  let issuer: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    a = await env.startInstance();
    issuer = a.issuer;
    b = await env.startInstance({ ISSUER: issuer });
    const company = await createCompany(env.db);
    user = await createUser(env.db, { companyId: company.id });
    client = await createRelyingParty(env.db, env.keyEncryptionKey);
  });
  afterAll(async () => env?.close());

  /** The same URL, sent to the given replica instead (what a load balancer would do). */
  function via(instance: TestInstance, url: string | URL): string {
    const target = new URL(url);
    const base = new URL(instance.publicUrl);
    target.protocol = base.protocol;
    target.host = base.host;
    return target.href;
  }

  /** An RP configuration whose back-channel calls (token, userinfo, revocation) all go to one replica. */
  async function discoverVia(instance: TestInstance): Promise<oidc.Configuration> {
    const config = await discover(issuer, client);
    // openid-client's FetchBody includes Uint8Array<ArrayBufferLike>, which lib.dom's BodyInit does not.
    config[oidc.customFetch] = (url, options) => fetch(via(instance, url), options as RequestInit);
    return config;
  }

  /** Follows redirects, sending every hop that is not the RP's callback to the given replica. */
  async function followVia(instance: TestInstance, agent: UserAgent, location: string): Promise<PageResponse> {
    let response = await agent.request(via(instance, location));
    for (let hop = 0; hop < 10 && response.location && !isCallback(client)(new URL(response.location)); hop++) {
      response = await agent.request(via(instance, response.location));
    }
    return response;
  }

  /** Authorization request and login page on one replica. */
  async function startLoginOn(instance: TestInstance, config: oidc.Configuration, agent = new UserAgent()) {
    const attempt = await startAuthorization(config, client);
    const page = await followVia(instance, agent, attempt.url.href);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Call Recording Login');
    expect(new URL(page.url).host).toBe(new URL(instance.publicUrl).host);
    return { agent, attempt, page };
  }

  /** The login form posted to another replica, as the browser (on the issuer's origin) would. */
  async function submitLoginOn(instance: TestInstance, agent: UserAgent, page: PageResponse): Promise<PageResponse> {
    const form = parseForms(page.body)[0]!;
    return agent.request(via(instance, new URL(form.action, page.url)), {
      form: { ...form.hidden, username: user.username, password: user.password },
      headers: { origin: new URL(issuer).origin },
    });
  }

  it('when a login starts on one replica and the form is posted to another, then the other finishes it and issues tokens', async () => {
    const configB = await discoverVia(b);
    const { agent, attempt, page } = await startLoginOn(a, await discoverVia(a));

    const submitted = await submitLoginOn(b, agent, page);
    expect(submitted.status).toBe(303);
    expect(submitted.location).toBeDefined();
    const callback = await followVia(b, agent, submitted.location!);
    expect(callback.location).toBeDefined();

    const tokens = await finishAuthorization(configB, attempt, callback.location!);
    expect(tokens.claims()).toMatchObject({ iss: issuer, sub: user.id, preferred_username: user.username, amr: ['pwd'] });
    const userinfo = await oidc.fetchUserInfo(configB, tokens.access_token, user.id);
    expect(userinfo.preferred_username).toBe(user.username);
  });

  it('when the replica that started a login goes away, then another replica finishes it', async () => {
    const c = await env.startInstance({ ISSUER: issuer });
    const { agent, attempt, page } = await startLoginOn(c, await discoverVia(c));
    await c.stop();

    const submitted = await submitLoginOn(b, agent, page);
    const callback = await followVia(b, agent, submitted.location!);
    const tokens = await finishAuthorization(await discoverVia(b), attempt, callback.location!);
    expect(tokens.claims()!.sub).toBe(user.id);
  });

  it('when a user logged in through one replica, then the other replica knows the session and the tokens', async () => {
    const configA = await discoverVia(a);
    const configB = await discoverVia(b);
    const { agent, attempt, page } = await startLoginOn(b, configB);
    const submitted = await submitLoginOn(b, agent, page);
    await finishAuthorization(configB, attempt, (await followVia(b, agent, submitted.location!)).location!);

    // Single sign-on: a new authorization request on A goes straight back to the RP with a code.
    const again = await startAuthorization(configA, client);
    const silent = await followVia(a, agent, again.url.href);
    expect(silent.location).toBeDefined();
    const tokens = await finishAuthorization(configA, again, silent.location!);
    expect(tokens.claims()!.sub).toBe(user.id);

    // An access token from A is accepted by B's userinfo.
    const userinfo = await oidc.fetchUserInfo(configB, tokens.access_token, user.id);
    expect(userinfo.sub).toBe(user.id);
  });

  it('when a refresh token issued by one replica is used at another, then it works and rotation holds across both', async () => {
    const configA = await discoverVia(a);
    const configB = await discoverVia(b);
    const agent = new UserAgent();
    const attempt = await startAuthorization(configA, client, { scope: 'openid offline_access profile', prompt: 'consent' });
    const page = await followVia(a, agent, attempt.url.href);
    const submitted = await submitLoginOn(a, agent, page);
    const tokens = await finishAuthorization(configA, attempt, (await followVia(a, agent, submitted.location!)).location!);
    expect(typeof tokens.refresh_token).toBe('string');

    const refreshed = await oidc.refreshTokenGrant(configB, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    await expect(oidc.refreshTokenGrant(configA, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('when both replicas publish their keys, then the JWKS are the same', async () => {
    const discovery = (await (await fetch(`${a.publicUrl}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    const [fromA, fromB] = await Promise.all([a, b].map(async (instance) => (await fetch(via(instance, discovery.jwks_uri))).json()));
    expect((fromA as { keys: unknown[] }).keys.length).toBeGreaterThanOrEqual(2);
    expect(fromB).toEqual(fromA);
  });

  it('when a replica at the same issuer is asked for discovery, then it describes the shared issuer', async () => {
    const metadata = (await (await fetch(`${b.publicUrl}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(issuer);
  });
});
