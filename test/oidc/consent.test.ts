// Consent: third-party relying parties ask the user; first-party ones never do.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { createCompany, createRelyingParty, createUser, type TestClient } from '../support/fixtures.js';
import { discover, finishAuthorization, isCallback, loginWithPassword, openAuthorization, startAuthorization } from '../support/relying-party.js';
import { UserAgent, parseForms, type PageResponse } from '../support/user-agent.js';

describe('consent', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let thirdParty: TestClient;
  let thirdPartyConfig: oidc.Configuration;
  let firstParty: TestClient;
  let firstPartyConfig: oidc.Configuration;
  let user: Awaited<ReturnType<typeof createUser>>;

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance();
    const company = await createCompany(env.db);
    user = await createUser(env.db, { companyId: company.id, roles: ['MANAGE_OWN_MFA'] });
    thirdParty = await createRelyingParty(env.db, env.keyEncryptionKey, { firstParty: false, name: 'Partner Analytics' });
    thirdPartyConfig = await discover(instance.issuer, thirdParty);
    firstParty = await createRelyingParty(env.db, env.keyEncryptionKey, { firstParty: true, name: 'Recording App' });
    firstPartyConfig = await discover(instance.issuer, firstParty);
  });
  afterAll(async () => env?.close());

  /** Logs in through the password page of a third-party client and returns the page that follows. */
  async function loginUntilConsent(agent = new UserAgent()) {
    const attempt = await startAuthorization(thirdPartyConfig, thirdParty);
    const loginPage = await openAuthorization(agent, attempt, thirdParty);
    expect(loginPage.body).toContain('Call Recording Login');
    const submitted = await agent.submit(loginPage, { username: user.username, password: user.password });
    expect(submitted.location).toBeDefined();
    const page = await agent.follow(submitted.location!, isCallback(thirdParty));
    return { agent, attempt, page };
  }

  function expectConsentPage(page: PageResponse) {
    expect(page.status).toBe(200);
    expect(page.location).toBeUndefined();
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).toContain('Authorize Partner Analytics');
    expect(page.body).toMatch(/<button[^>]*value="allow"[^>]*>Allow<\/button>/);
    expect(page.body).toMatch(/<button[^>]*value="deny"[^>]*>Cancel<\/button>/);
  }

  it('when a third-party client asks for a login, then the user sees the consent page after the password', async () => {
    const { page } = await loginUntilConsent();
    expectConsentPage(page);
    expect(page.body).toContain('Call Recording');
  });

  it('when the user allows a third-party client, then the client gets a code and verified tokens', async () => {
    const { agent, attempt, page } = await loginUntilConsent();
    expectConsentPage(page);
    const allowed = await agent.submit(page, { decision: 'allow' });
    expect(allowed.location).toBeDefined();
    const callback = await agent.follow(allowed.location!, isCallback(thirdParty));
    expect(callback.location).toBeDefined();
    const tokens = await finishAuthorization(thirdPartyConfig, attempt, callback.location!);
    expect(tokens.claims()).toMatchObject({ sub: user.id, preferred_username: user.username, company_id: user.companyId, amr: ['pwd'] });
    const userinfo = await oidc.fetchUserInfo(thirdPartyConfig, tokens.access_token, user.id);
    expect(userinfo.roles).toEqual(['MANAGE_OWN_MFA']);
  });

  it('when the user cancels, then the browser returns to the redirect_uri with error=access_denied', async () => {
    const { agent, attempt, page } = await loginUntilConsent();
    expectConsentPage(page);
    const cancelled = await agent.submit(page, { decision: 'deny' });
    expect(cancelled.location).toBeDefined();
    const callback = await agent.follow(cancelled.location!, isCallback(thirdParty));
    expect(callback.location).toBeDefined();
    const location = new URL(callback.location!);
    expect(`${location.origin}${location.pathname}`).toBe(thirdParty.redirectUri);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe(attempt.state);
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('when a consent form is posted from another site, then it is refused and no code is issued', async () => {
    const { agent, page } = await loginUntilConsent();
    expectConsentPage(page);
    const form = parseForms(page.body)[0]!;
    const forged = await agent.request(new URL(form.action, page.url), {
      form: { ...form.hidden, decision: 'allow' },
      headers: { origin: 'https://attacker.example.com' },
    });
    expect(forged.status).toBe(403);
    expect(forged.location).toBeUndefined();
  });

  it('when the user allowed a third-party client once, then the next login in the same session does not ask again', async () => {
    const { agent, page } = await loginUntilConsent();
    const allowed = await agent.submit(page, { decision: 'allow' });
    await agent.follow(allowed.location!, isCallback(thirdParty));

    const again = await openAuthorization(agent, await startAuthorization(thirdPartyConfig, thirdParty), thirdParty);
    expect(again.location).toBeDefined();
    expect(new URL(again.location!).searchParams.get('code')).toBeTruthy();
  });

  it('when a first-party client asks for a login, then the user never sees a consent page', async () => {
    // loginWithPassword fails unless the password page leads straight to the callback.
    const { tokens } = await loginWithPassword(firstPartyConfig, firstParty, user);
    expect(tokens.claims()!.sub).toBe(user.id);
    // Even when the first-party client explicitly asks for consent (as it must for offline_access).
    const offline = await loginWithPassword(firstPartyConfig, firstParty, user, { scope: 'openid offline_access profile', prompt: 'consent' });
    expect(typeof offline.tokens.refresh_token).toBe('string');
  });
});
