// Ending a user's sessions against a real provider: relying parties with a back-channel logout URI
// get a signed logout token, refresh tokens stop working, and the browser has to log in again.
// resetMfa removes the authenticator and recovery codes with its audit event in one transaction,
// then ends the sessions.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { createCompany, createRelyingParty, createUser, type TestClient } from '../support/fixtures.js';
import { discover, isCallback, loginWithPassword, openAuthorization, startAuthorization, finishAuthorization } from '../support/relying-party.js';
import { startBackchannelListener, type BackchannelListener } from '../support/backchannel-listener.js';
import { loginToPasscodePage, registerAuthenticator, totpCode } from '../support/mfa.js';
import { UserAgent } from '../support/user-agent.js';
import { generateRecoveryCodes } from '../../src/mfa/recovery-codes.js';
import { resetMfa, type ResetMfaDeps } from '../../src/mfa/reset-mfa.js';

const OFFLINE = { scope: 'openid offline_access profile email callrec', prompt: 'consent' };
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const FAIL_AUDIT_REASON = 'test: the audit insert fails';

type TestUser = Awaited<ReturnType<typeof createUser>>;

describe('ending a user\'s sessions', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let listener: BackchannelListener;
  let client: TestClient;
  let config: oidc.Configuration;
  let plainClient: TestClient;
  let plainConfig: oidc.Configuration;
  let companyId: string;
  let mfaCompanyId: string;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance();
    listener = await startBackchannelListener();
    companyId = (await createCompany(env.db)).id;
    mfaCompanyId = (await createCompany(env.db, { mfaPolicy: 'ENABLED' })).id;
    client = await createRelyingParty(env.db, env.keyEncryptionKey, { backchannelLogoutUri: listener.uri });
    config = await discover(instance.issuer, client);
    plainClient = await createRelyingParty(env.db, env.keyEncryptionKey);
    plainConfig = await discover(instance.issuer, plainClient);
    jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    // Lets a test make resetMfa's audit insert fail, to see the whole change roll back.
    await env.db.raw(`
      create function fail_marked_audit() returns trigger language plpgsql as $$
      begin
        if new.reason = '${FAIL_AUDIT_REASON}' then raise exception 'audit insert refused by test trigger'; end if;
        return new;
      end $$;
      create trigger fail_marked_audit before insert on audit_events for each row execute function fail_marked_audit();
    `);
  });
  afterAll(async () => {
    await listener?.close();
    await env?.close();
  });

  const logoutTokensFor = (sub: string) => listener.received
    .map((body) => body.get('logout_token'))
    .filter((token): token is string => typeof token === 'string')
    .filter((token) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).sub === sub);

  /** A new authorization in the same browser: the login page if the session ended, the callback if SSO still holds. */
  async function nextAuthorization(agent: UserAgent, rpClient = client, rpConfig = config) {
    const attempt = await startAuthorization(rpConfig, rpClient);
    return openAuthorization(agent, attempt, rpClient);
  }

  const resetDeps = (): ResetMfaDeps => ({
    db: instance.app.db,
    users: instance.app.services.users,
    authenticators: instance.app.services.authenticators,
    recoveryCodes: instance.app.services.recoveryCodes,
    accountSessions: instance.app.accountSessions,
  });

  /** A user of the ENABLED company with an authenticator and recovery codes, logged in with a passcode. */
  async function mfaUserLoggedIn() {
    const user = await createUser(env.db, { companyId: mfaCompanyId });
    const secret = await registerAuthenticator(instance, user);
    await instance.app.services.recoveryCodes.replace(env.db, user.id, generateRecoveryCodes());
    const login = await loginToPasscodePage(config, client, user, OFFLINE);
    const submitted = await login.agent.submit(login.page, { code: await totpCode(secret) });
    const callback = await login.agent.follow(submitted.location!, isCallback(client));
    const tokens = await finishAuthorization(config, login.attempt, callback.location!);
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    return { user, secret, tokens, agent: login.agent };
  }

  describe('endAll', () => {
    let user: TestUser;
    let tokens: Awaited<ReturnType<typeof loginWithPassword>>['tokens'];
    let agent: UserAgent;
    let result: { sessions: number; grants: number };

    beforeAll(async () => {
      user = await createUser(env.db, { companyId });
      ({ tokens, agent } = await loginWithPassword(config, client, user, OFFLINE));
      expect(typeof tokens.refresh_token).toBe('string');
      // Before: SSO holds in this browser.
      const sso = await nextAuthorization(agent);
      expect(sso.location && isCallback(client)(new URL(sso.location))).toBe(true);
      result = await instance.app.accountSessions.endAll(user.id);
    });

    it('when a user\'s sessions are ended, then it reports the session and grant it ended', () => {
      expect(result.sessions).toBe(1);
      expect(result.grants).toBeGreaterThanOrEqual(1);
    });

    it('when a user\'s sessions are ended, then the RP gets a logout token signed by the provider for that user, client and session', async () => {
      const logoutTokens = logoutTokensFor(user.id);
      expect(logoutTokens).toHaveLength(1);
      const { payload, protectedHeader } = await jwtVerify(logoutTokens[0]!, jwks, { issuer: instance.issuer, audience: client.clientId, typ: 'logout+jwt' });
      expect(protectedHeader.alg).toMatch(/^(RS|ES)256$/);
      expect(payload.sub).toBe(user.id);
      expect(payload.aud).toBe(client.clientId);
      expect(payload.events).toEqual({ [BACKCHANNEL_LOGOUT_EVENT]: {} });
      expect(typeof payload.sid).toBe('string');
      expect(payload.sid).toBe(tokens.claims()!.sid);
      expect(typeof payload.jti).toBe('string');
      expect(typeof payload.iat).toBe('number');
      expect(payload).not.toHaveProperty('nonce');
    });

    it('when a user\'s sessions are ended, then the refresh token is refused with invalid_grant', async () => {
      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it('when a user\'s sessions are ended, then the access token is no longer accepted by userinfo', async () => {
      await expect(oidc.fetchUserInfo(config, tokens.access_token, user.id)).rejects.toBeDefined();
    });

    it('when a user\'s sessions are ended, then the same browser sees the login page again', async () => {
      const page = await nextAuthorization(agent);
      expect(page.status).toBe(200);
      expect(page.body).toContain('Call Recording Login');
    });

    it('when the sessions are ended a second time, then nothing is left to end and no logout token is sent again', async () => {
      // (The grant count is of index entries, which expire with the grants, so it is not checked here.)
      expect((await instance.app.accountSessions.endAll(user.id)).sessions).toBe(0);
      expect(logoutTokensFor(user.id)).toHaveLength(1);
    });
  });

  it('when a user is logged in to two RPs in two browsers, then both sessions end and only the RP with a logout URI is called', async () => {
    const user = await createUser(env.db, { companyId });
    const first = await loginWithPassword(config, client, user, OFFLINE);
    const second = await loginWithPassword(plainConfig, plainClient, user, OFFLINE);
    // The first browser also signs in to the second RP through SSO.
    const sso = await nextAuthorization(first.agent, plainClient, plainConfig);
    expect(sso.location && isCallback(plainClient)(new URL(sso.location))).toBe(true);

    const result = await instance.app.accountSessions.endAll(user.id);
    expect(result.sessions).toBe(2);
    expect(logoutTokensFor(user.id)).toHaveLength(1);
    await expect(oidc.refreshTokenGrant(config, first.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(plainConfig, second.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    for (const agent of [first.agent, second.agent]) {
      expect((await nextAuthorization(agent, plainClient, plainConfig)).body).toContain('Call Recording Login');
    }
  });

  it("when one user's sessions are ended, then another user's session and refresh token keep working", async () => {
    const [ended, other] = [await createUser(env.db, { companyId }), await createUser(env.db, { companyId })];
    await loginWithPassword(config, client, ended, OFFLINE);
    const kept = await loginWithPassword(config, client, other, OFFLINE);
    await instance.app.accountSessions.endAll(ended.id);

    expect(logoutTokensFor(other.id)).toHaveLength(0);
    const refreshed = await oidc.refreshTokenGrant(config, kept.tokens.refresh_token!);
    expect(refreshed.claims()!.sub).toBe(other.id);
    const sso = await nextAuthorization(kept.agent);
    expect(sso.location && isCallback(client)(new URL(sso.location))).toBe(true);
  });

  it('when the user has never logged in, then ending the sessions does nothing', async () => {
    const user = await createUser(env.db, { companyId });
    expect(await instance.app.accountSessions.endAll(user.id)).toEqual({ sessions: 0, grants: 0 });
  });

  describe('resetMfa', () => {
    it('when an MFA user is reset, then the authenticator and recovery codes are gone, an mfa.reset event is written and the sessions end', async () => {
      const { user, tokens, agent } = await mfaUserLoggedIn();
      const admin = await createUser(env.db, { companyId: mfaCompanyId });

      const result = await resetMfa(resetDeps(), { userId: user.id, actor: { type: 'USER', id: admin.id }, reason: 'lost phone' });
      expect(result).toEqual({ hadAuthenticator: true });

      expect(await env.db('mfa_authenticators').where({ user_id: user.id })).toHaveLength(0);
      expect(await env.db('mfa_recovery_codes').where({ user_id: user.id })).toHaveLength(0);
      const events = await env.db('audit_events').where({ type: 'mfa.reset', target_id: user.id });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        company_id: mfaCompanyId,
        actor_type: 'USER',
        actor_id: admin.id,
        target_type: 'user',
        target_id: user.id,
        reason: 'lost phone',
        details: { self: false, hadAuthenticator: true },
      });

      expect(logoutTokensFor(user.id)).toHaveLength(1);
      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      const page = await nextAuthorization(agent);
      expect(page.body).toContain('Call Recording Login');
    });

    it('when a reset user logs in again, then the login asks to register an authenticator', async () => {
      const { user, agent } = await mfaUserLoggedIn();
      await resetMfa(resetDeps(), { userId: user.id, actor: { type: 'USER', id: user.id } });
      expect((await env.db('audit_events').where({ type: 'mfa.reset', target_id: user.id }).first()).details).toEqual({ self: true, hadAuthenticator: true });

      const loginPage = await nextAuthorization(agent);
      expect(loginPage.body).toContain('Call Recording Login');
      const submitted = await agent.submit(loginPage, { username: user.username, password: user.password });
      const next = await agent.follow(submitted.location!, isCallback(client));
      expect(next.status).toBe(200);
      expect(next.body).toContain('MFA Registration');
      expect(next.body).toContain('Multi-factor authentication has been enabled.');
    });

    it('when the audit event cannot be written, then nothing is removed and the sessions stay', async () => {
      const { user, tokens } = await mfaUserLoggedIn();
      const received = logoutTokensFor(user.id).length;

      await expect(resetMfa(resetDeps(), { userId: user.id, actor: { type: 'USER', id: user.id }, reason: FAIL_AUDIT_REASON })).rejects.toThrow();

      expect(await env.db('mfa_authenticators').where({ user_id: user.id })).toHaveLength(1);
      expect(await instance.app.services.recoveryCodes.countUnused(env.db, user.id)).toBe(10);
      expect(await env.db('audit_events').where({ type: 'mfa.reset', target_id: user.id })).toHaveLength(0);
      expect(logoutTokensFor(user.id)).toHaveLength(received);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect(refreshed.claims()!.sub).toBe(user.id);
    });

    it('when a user without an authenticator is reset, then it reports that and still writes the event', async () => {
      const user = await createUser(env.db, { companyId });
      expect(await resetMfa(resetDeps(), { userId: user.id, actor: { type: 'SYSTEM', id: null } })).toEqual({ hadAuthenticator: false });
      const event = await env.db('audit_events').where({ type: 'mfa.reset', target_id: user.id }).first();
      expect(event).toMatchObject({ actor_type: 'SYSTEM', actor_id: null, details: { self: false, hadAuthenticator: false } });
    });

    it('when the user does not exist, then the reset fails and writes nothing', async () => {
      const missing = '00000000-0000-4000-8000-000000000000';
      await expect(resetMfa(resetDeps(), { userId: missing, actor: { type: 'SYSTEM', id: null } })).rejects.toThrow();
      expect(await env.db('audit_events').where({ type: 'mfa.reset', target_id: missing })).toHaveLength(0);
    });

    it('when the audit event is written, then it holds no secret and no recovery code', async () => {
      const user = await createUser(env.db, { companyId: mfaCompanyId });
      const secret = await registerAuthenticator(instance, user);
      const codes = generateRecoveryCodes();
      await instance.app.services.recoveryCodes.replace(env.db, user.id, codes);
      await resetMfa(resetDeps(), { userId: user.id, actor: { type: 'USER', id: user.id } });
      const event = JSON.stringify(await env.db('audit_events').where({ type: 'mfa.reset', target_id: user.id }).first());
      expect(event).not.toContain(secret);
      for (const code of codes) expect(event).not.toContain(code);
    });
  });
});
