// What a relying party does with the tokens after login: userinfo, refresh with rotation,
// revocation and RP-initiated logout, all through openid-client against the real provider.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { createCompany, createRelyingParty, createUser, type TestClient } from '../support/fixtures.js';
import { discover, isCallback, loginWithPassword, openAuthorization, startAuthorization } from '../support/relying-party.js';
import { UserAgent, parseForms } from '../support/user-agent.js';
import { createUsersRepo } from '../../src/accounts/users-repo.js';

const OFFLINE = { scope: 'openid offline_access profile email callrec', prompt: 'consent' };
const POST_LOGOUT_URI = 'http://127.0.0.1:9/logged-out';

describe('tokens after a password login', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let client: TestClient;
  let config: oidc.Configuration;
  let user: Awaited<ReturnType<typeof createUser>>;

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance();
    const company = await createCompany(env.db);
    user = await createUser(env.db, { companyId: company.id, firstName: 'Grace', lastName: 'Hopper', roles: ['MANAGE_OWN_MFA', 'MANAGE_USERS'] });
    client = await createRelyingParty(env.db, env.keyEncryptionKey, { postLogoutRedirectUris: [POST_LOGOUT_URI] });
    config = await discover(instance.issuer, client);
  });
  afterAll(async () => env?.close());

  it('when the RP calls userinfo with the access token, then it gets the same claims as the ID token', async () => {
    const { tokens } = await loginWithPassword(config, client, user);
    const idClaims = tokens.claims()!;
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);

    const shared = ['sub', 'preferred_username', 'given_name', 'family_name', 'name', 'email', 'company_id', 'company_name', 'user_policy', 'roles', 'telephony_username'];
    for (const claim of shared) {
      expect({ claim, value: userinfo[claim] }).toEqual({ claim, value: idClaims[claim] });
    }
    expect(userinfo).toMatchObject({ sub: user.id, preferred_username: user.username, company_id: user.companyId });
    expect([...(userinfo.roles as string[])].sort()).toEqual(['MANAGE_OWN_MFA', 'MANAGE_USERS']);
  });

  it('when the RP asks for offline_access without prompt=consent, then it gets no refresh token', async () => {
    const { tokens } = await loginWithPassword(config, client, user, { scope: OFFLINE.scope });
    expect(tokens.refresh_token).toBeUndefined();
  });

  it('when the RP refreshes with offline_access, then it gets a new refresh token and the old one is refused', async () => {
    const { tokens } = await loginWithPassword(config, client, user, OFFLINE);
    const first = tokens.refresh_token;
    expect(typeof first).toBe('string');

    const refreshed = await oidc.refreshTokenGrant(config, first!);
    expect(typeof refreshed.refresh_token).toBe('string');
    expect(refreshed.refresh_token).not.toBe(first);
    expect(typeof refreshed.access_token).toBe('string');
    // The refreshed ID token is for the same user and still carries amr/acr.
    expect(refreshed.claims()).toMatchObject({ sub: user.id, amr: ['pwd'], acr: 'urn:callrec-auth:acr:pwd' });
    const userinfo = await oidc.fetchUserInfo(config, refreshed.access_token, user.id);
    expect(userinfo.preferred_username).toBe(user.username);

    await expect(oidc.refreshTokenGrant(config, first!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('when a rotated-out refresh token is presented again, then the whole grant ends and the newest refresh token is refused too', async () => {
    const { tokens } = await loginWithPassword(config, client, user, OFFLINE);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);

    // Reuse of an old token means it leaked: the provider revokes everything issued from it.
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('when the user is deactivated, then their refresh token and access token stop working', async () => {
    const leaver = await createUser(env.db, { companyId: user.companyId });
    const { tokens } = await loginWithPassword(config, client, leaver, OFFLINE);
    await createUsersRepo().update(env.db, leaver.id, { status: 'INACTIVE' });

    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(config, tokens.access_token, leaver.id)).rejects.toBeDefined();
  });

  it('when the RP revokes its refresh token, then the refresh token can no longer be used', async () => {
    const { tokens } = await loginWithPassword(config, client, user, OFFLINE);
    const refreshToken = tokens.refresh_token!;
    expect(typeof refreshToken).toBe('string');

    await oidc.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });

    await expect(oidc.refreshTokenGrant(config, refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('when the user logs out through the end_session_endpoint, then the next authorization request shows the login page again', async () => {
    const agent = new UserAgent();
    const { tokens } = await loginWithPassword(config, client, user, {}, agent);

    // While the session lives, a new authorization request goes straight back to the RP.
    const silent = await openAuthorization(agent, await startAuthorization(config, client), client);
    expect(silent.location).toBeDefined();
    expect(isCallback(client)(new URL(silent.location!))).toBe(true);
    expect(new URL(silent.location!).searchParams.get('code')).toBeTruthy();

    const logoutUrl = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'bye' });
    const confirmation = await agent.follow(logoutUrl.href);
    expect(confirmation.status).toBe(200);
    expect(confirmation.body).toContain('Call Recording');
    expect(confirmation.body).toContain('Log out');
    expect(parseForms(confirmation.body)).toHaveLength(1);

    const loggedOut = await agent.submit(confirmation, { logout: 'yes' });
    expect(loggedOut.location).toBeDefined();
    const landing = new URL(loggedOut.location!);
    expect(`${landing.origin}${landing.pathname}`).toBe(POST_LOGOUT_URI);
    expect(landing.searchParams.get('state')).toBe('bye');

    const again = await openAuthorization(agent, await startAuthorization(config, client), client);
    expect(again.status).toBe(200);
    expect(again.body).toContain('Call Recording Login');

    // The confirmation submitted again (back button) is an error page in the product's style.
    const form = parseForms(confirmation.body)[0]!;
    const replay = await agent.request(new URL(form.action, confirmation.url), {
      form: { ...form.hidden, logout: 'yes' },
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', origin: new URL(confirmation.url).origin },
    });
    expect(replay.status).toBeGreaterThanOrEqual(400);
    expect(replay.status).toBeLessThan(500);
    expect(replay.headers.get('content-type')).toMatch(/^text\/html/);
    expect(replay.body).toContain('Call Recording');
  });
});
