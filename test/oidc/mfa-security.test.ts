// The MFA step under attack, over HTTP: racing and replayed passcodes, skipped and misdirected
// forms, swapped cookies, guessing (per-user passcode lockout, per-username password lockout that
// looks exactly like a wrong password), the audit trail, and what the ID token claims afterwards.
// No request sequence may produce a code for the RP without a passcode checked in that login.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { createCompany, createRelyingParty, createUser, uniqueName, type TestClient } from '../support/fixtures.js';
import { discover, finishAuthorization, isCallback, openAuthorization, startAuthorization } from '../support/relying-party.js';
import { UserAgent, parseForms, type PageResponse } from '../support/user-agent.js';
import { PASSCODE_PAGE_TITLE, loginToPasscodePage, registerAuthenticator, totpCode, type PasscodeLogin } from '../support/mfa.js';

const WRONG_CODE = 'The code you entered is incorrect. Please try again.';
const LOCKED = 'Too many attempts, try again in 30 minutes.';
const INVALID_LOGIN = 'The username or password you entered is incorrect.';
const MFA_ACR = 'urn:callrec-auth:acr:mfa';
const PASSWORD_MAX_FAILURES = 10;

type TestUser = Awaited<ReturnType<typeof createUser>>;

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Six-digit codes that are not valid for `secret` anywhere near now (±2 steps), all different. */
async function wrongCodes(secret: string, count: number): Promise<string[]> {
  const near = new Set(await Promise.all([-2, -1, 0, 1, 2].map((d) => totpCode(secret, nowSeconds() + d * 30))));
  const candidates = ['000000', '111111', '222222', '333333', '444444', '555555', '666666', '777777', '888888', '999999', '123456'];
  return candidates.filter((code) => !near.has(code)).slice(0, count);
}

describe('MFA security over HTTP', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let client: TestClient;
  let config: oidc.Configuration;
  let companyId: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance({ MFA_MAX_FAILURES: '5', MFA_LOCKOUT_SECONDS: String(30 * 60), PASSWORD_MAX_FAILURES: String(PASSWORD_MAX_FAILURES) });
    companyId = (await createCompany(env.db, { mfaPolicy: 'ENABLED' })).id;
    client = await createRelyingParty(env.db, env.keyEncryptionKey);
    config = await discover(instance.issuer, client);
  });
  afterAll(async () => env?.close());

  /** A user of the ENABLED company with a registered authenticator. */
  async function mfaUser(): Promise<{ user: TestUser; secret: string }> {
    const user = await createUser(env.db, { companyId });
    return { user, secret: await registerAuthenticator(instance, user) };
  }

  /** Follows a response's redirects (stopping at the RP's callback) and returns where it ended. */
  async function followToEnd(agent: UserAgent, response: PageResponse): Promise<PageResponse> {
    if (!response.location || isCallback(client)(new URL(response.location))) return response;
    return agent.follow(response.location, isCallback(client));
  }

  /** The authorization code the RP received at the end of a response's redirects, if any. */
  async function codeAtCallback(agent: UserAgent, response: PageResponse): Promise<string | null> {
    const end = await followToEnd(agent, response);
    if (!end.location || !isCallback(client)(new URL(end.location))) return null;
    return new URL(end.location).searchParams.get('code');
  }

  const postForm = (agent: UserAgent, path: string, form: Record<string, string>) =>
    agent.request(new URL(path, instance.issuer), { form, headers: { origin: new URL(instance.issuer).origin } });

  function expectProductPageWithoutCode(end: PageResponse) {
    expect(end.status).toBeLessThan(500);
    if (end.location) expect(new URL(end.location).searchParams.has('code')).toBe(false);
  }

  describe('a passcode is accepted once', () => {
    it('when two logins of the same user submit the same valid code at once, then exactly one gets a code and the other the wrong-code page', async () => {
      const { user, secret } = await mfaUser();
      const first = await loginToPasscodePage(config, client, user);
      const second = await loginToPasscodePage(config, client, user);
      const code = await totpCode(secret);

      const responses = await Promise.all([first, second].map((login) => login.agent.submit(login.page, { code })));
      const codes = await Promise.all(responses.map((response, i) => codeAtCallback([first, second][i]!.agent, response)));
      expect(codes.filter(Boolean)).toHaveLength(1);

      const loser = responses[codes.findIndex((c) => !c)]!;
      expect(loser.status).toBe(401);
      expect(loser.location).toBeUndefined();
      expect(loser.body).toContain(PASSCODE_PAGE_TITLE);
      expect(loser.body).toContain(WRONG_CODE);
    });

    it('when the passcode form is posted twice from one browser before the redirect is followed, then only one code is issued', async () => {
      const { user, secret } = await mfaUser();
      const login = await loginToPasscodePage(config, client, user);
      const code = await totpCode(secret);
      const responses = await Promise.all([login.agent.submit(login.page, { code }), login.agent.submit(login.page, { code })]);
      const codes = [await codeAtCallback(login.agent, responses[0]!), await codeAtCallback(login.agent, responses[1]!)];
      expect(codes.filter(Boolean)).toHaveLength(1);
    });

    it('when a code was used in one login, then a later login in the same time step cannot use it again but the next step works', async () => {
      const { user, secret } = await mfaUser();
      const epoch = nowSeconds();
      const first = await loginToPasscodePage(config, client, user);
      expect(await codeAtCallback(first.agent, await first.agent.submit(first.page, { code: await totpCode(secret, epoch) }))).toBeTruthy();

      const second = await loginToPasscodePage(config, client, user);
      const replayed = await second.agent.submit(second.page, { code: await totpCode(secret, epoch) });
      expect(replayed.status).toBe(401);
      expect(replayed.body).toContain(WRONG_CODE);
      // An older step than the one used is refused too.
      const older = await second.agent.submit(second.page, { code: await totpCode(secret, epoch - 30) });
      expect(older.status).toBe(401);
      expect(await codeAtCallback(second.agent, await second.agent.submit(second.page, { code: await totpCode(secret, epoch + 30) }))).toBeTruthy();
    });
  });

  describe('the passcode page cannot be skipped', () => {
    let login: PasscodeLogin;
    let user: TestUser;
    let secret: string;

    beforeAll(async () => {
      ({ user, secret } = await mfaUser());
      login = await loginToPasscodePage(config, client, user);
    });

    it('when the provider\'s resume URL is opened right after the password step, then no code is issued', async () => {
      const resume = await login.agent.request(new URL(`/auth/${login.uid}`, instance.issuer));
      const end = await followToEnd(login.agent, resume);
      expectProductPageWithoutCode(end);
      expect(await codeAtCallback(login.agent, resume)).toBeNull();
    });

    it.each(['mfa/recovery-accepted', 'mfa/recovery-codes', 'mfa/intro', 'mfa/scan', 'consent'])(
      'when the form of step %s is posted at the passcode step, then the browser is sent back and no code is issued',
      async (step) => {
        const other = await mfaUser();
        const fresh = await loginToPasscodePage(config, client, other.user);
        const response = await postForm(fresh.agent, `/interaction/${fresh.uid}/${step}`, { ...fresh.hidden, action: 'continue', decision: 'allow' });
        expect(response.status).toBe(303);
        expect(new URL(response.location!).pathname).toBe(`/interaction/${fresh.uid}`);
        const end = await followToEnd(fresh.agent, response);
        expect(end.status).toBe(200);
        expect(end.body).toContain(PASSCODE_PAGE_TITLE);
        // The login still needs the passcode, and the passcode still works.
        expect(await codeAtCallback(fresh.agent, await fresh.agent.submit(end, { code: await totpCode(other.secret) }))).toBeTruthy();
      },
    );

    it('when the registration form is posted with a valid code of a new secret at the passcode step, then nothing is registered and no code is issued', async () => {
      const fresh = await loginToPasscodePage(config, client, user);
      const response = await postForm(fresh.agent, `/interaction/${fresh.uid}/mfa/verify-registration`, { ...fresh.hidden, code: await totpCode('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP') });
      expect(await codeAtCallback(fresh.agent, response)).toBeNull();
      expect(await instance.app.services.authenticators.find(env.db, user.id)).toMatchObject({ secret });
    });

    it('when the password form is posted again at the passcode step, then the login still asks for the passcode', async () => {
      const fresh = await loginToPasscodePage(config, client, user);
      const response = await postForm(fresh.agent, `/interaction/${fresh.uid}/login`, { ...fresh.hidden, username: user.username, password: user.password });
      expect(await codeAtCallback(fresh.agent, response)).toBeNull();
      const end = await followToEnd(fresh.agent, response);
      expect(end.body).toContain(PASSCODE_PAGE_TITLE);
    });

    it('when the authorization is started again in the same browser after the password step, then it asks for the password again, not for nothing', async () => {
      const attempt = await startAuthorization(config, client);
      const page = await openAuthorization(login.agent, attempt, client);
      expectProductPageWithoutCode(page);
      expect(page.body).toContain('Call Recording Login');
    });
  });

  describe('replayed and misdirected passcode forms', () => {
    it('when the passcode form is replayed after a successful login, then no second code is issued', async () => {
      const { user, secret } = await mfaUser();
      const login = await loginToPasscodePage(config, client, user);
      const epoch = nowSeconds();
      const code = await totpCode(secret, epoch);
      const ok = await login.agent.submit(login.page, { code });
      const callback = await followToEnd(login.agent, ok);
      await finishAuthorization(config, login.attempt, callback.location!);

      for (const replayCode of [code, await totpCode(secret, epoch + 30)]) {
        const replay = await postForm(login.agent, `/interaction/${login.uid}/mfa/passcode`, { ...login.hidden, code: replayCode });
        expect(await codeAtCallback(login.agent, replay)).toBeNull();
        expectProductPageWithoutCode(replay);
      }
    });

    it("when a passcode form is posted to another user's concurrent interaction, then it is refused and neither login finishes", async () => {
      const a = await mfaUser();
      const b = await mfaUser();
      const loginA = await loginToPasscodePage(config, client, a.user);
      const loginB = await loginToPasscodePage(config, client, b.user);
      const epoch = nowSeconds();

      // A's own form (A's csrf token and code) aimed at B's interaction.
      const ownToken = await postForm(loginA.agent, `/interaction/${loginB.uid}/mfa/passcode`, { ...loginA.hidden, code: await totpCode(a.secret, epoch) });
      expect(ownToken.status).toBeGreaterThanOrEqual(300);
      expect(await codeAtCallback(loginA.agent, ownToken)).toBeNull();
      // B's form token (as if leaked) with A's cookies and A's code.
      const leakedToken = await postForm(loginA.agent, `/interaction/${loginB.uid}/mfa/passcode`, { ...loginB.hidden, code: await totpCode(a.secret, epoch) });
      expect(await codeAtCallback(loginA.agent, leakedToken)).toBeNull();
      // B's code posted by A to B's URL: still not B's browser.
      const bCode = await postForm(loginA.agent, `/interaction/${loginB.uid}/mfa/passcode`, { ...loginB.hidden, code: await totpCode(b.secret, epoch) });
      expect(await codeAtCallback(loginA.agent, bCode)).toBeNull();

      // Both logins are still at their passcode page and complete as their own users.
      for (const [login, who] of [[loginA, a], [loginB, b]] as const) {
        const page = await login.agent.request(login.page.url);
        expect(page.body).toContain(PASSCODE_PAGE_TITLE);
        const done = await login.agent.submit(page, { code: await totpCode(who.secret, epoch + 30) });
        const callback = await followToEnd(login.agent, done);
        expect(callback.location).toContain('code=');
        const tokens = await finishAuthorization(config, login.attempt, callback.location!);
        expect(tokens.claims()!.sub).toBe(who.user.id);
      }
    });

    it("when a browser takes another user's cookies and posts its own user's code, then the code is checked against the other user and refused", async () => {
      const a = await mfaUser();
      const b = await mfaUser();
      const loginB = await loginToPasscodePage(config, client, b.user);
      const swapped = new UserAgent();
      swapped.importCookies(loginB.agent.exportCookies());
      const response = await postForm(swapped, `/interaction/${loginB.uid}/mfa/passcode`, { ...loginB.hidden, code: await totpCode(a.secret) });
      expect(response.status).toBe(401);
      expect(response.body).toContain(WRONG_CODE);
      expect(await codeAtCallback(swapped, response)).toBeNull();
    });
  });

  describe('passcode lockout', () => {
    let user: TestUser;
    let secret: string;
    const submittedCodes: string[] = [];
    const responses: PageResponse[] = [];
    let rightCodeSameLogin: PageResponse;

    beforeAll(async () => {
      ({ user, secret } = await mfaUser());
      const login = await loginToPasscodePage(config, client, user);
      let page = login.page;
      for (const code of await wrongCodes(secret, 5)) {
        submittedCodes.push(code);
        const response = await login.agent.submit(page, { code });
        responses.push(response);
        page = response;
      }
      const right = await totpCode(secret);
      submittedCodes.push(right);
      rightCodeSameLogin = await login.agent.request(new URL(`/interaction/${login.uid}/mfa/passcode`, instance.issuer), {
        form: { ...login.hidden, code: right },
        headers: { origin: new URL(instance.issuer).origin },
      });
    });

    it('when the first four codes are wrong, then each gets the wrong-code page with 401', () => {
      for (const response of responses.slice(0, 4)) {
        expect(response.status).toBe(401);
        expect(response.body).toContain(WRONG_CODE);
        expect(response.body).not.toContain('Too many attempts');
      }
    });

    it('when the fifth code is wrong, then the page says "Too many attempts, try again in 30 minutes." with 429', () => {
      const fifth = responses[4]!;
      expect(fifth.status).toBe(429);
      expect(fifth.body).toContain(LOCKED);
      expect(Number(fifth.headers.get('retry-after'))).toBeGreaterThan(29 * 60);
      expect(Number(fifth.headers.get('retry-after'))).toBeLessThanOrEqual(30 * 60);
    });

    it('when the right code is then entered in the same login, then it is refused with the lockout page', async () => {
      expect(rightCodeSameLogin.status).toBe(429);
      expect(rightCodeSameLogin.body).toContain(LOCKED);
      expect(await codeAtCallback(new UserAgent(), rightCodeSameLogin)).toBeNull();
    });

    it('when a new login (new browser, session and interaction) enters the right code, then it is still locked', async () => {
      const fresh = await loginToPasscodePage(config, client, user);
      const response = await fresh.agent.submit(fresh.page, { code: await totpCode(secret, nowSeconds() + 30) });
      expect(response.status).toBe(429);
      expect(response.body).toContain(LOCKED);
      expect(await codeAtCallback(fresh.agent, response)).toBeNull();
    });

    it('when a recovery code is tried while locked, then it is refused too', async () => {
      const fresh = await loginToPasscodePage(config, client, user);
      const recoveryPage = await fresh.agent.request(new URL(`/interaction/${fresh.uid}?method=recovery`, instance.issuer));
      const response = await fresh.agent.submit(recoveryPage, { code: 'abcde-fghjk' });
      expect(response.status).toBe(429);
      expect(response.body).toContain(LOCKED);
    });

    it('when the passcode failures are audited, then there are five mfa.passcode_failed events and one mfa.lockout_started, without any code', async () => {
      const events = await env.db('audit_events').where({ target_id: user.id }).orderBy('id');
      const types = events.map((e) => e.type);
      expect(types.filter((t) => t === 'mfa.passcode_failed')).toHaveLength(5);
      expect(types.filter((t) => t === 'mfa.lockout_started')).toHaveLength(1);
      for (const event of events.filter((e) => e.type.startsWith('mfa.'))) {
        expect(event).toMatchObject({ company_id: companyId, actor_type: 'USER', actor_id: user.id, target_type: 'user' });
        const text = JSON.stringify(event);
        for (const code of submittedCodes) expect(text).not.toContain(code);
        expect(text).not.toContain(secret);
      }
    });

    it('when a user is locked, then another user of the same company can still log in with a passcode', async () => {
      const other = await mfaUser();
      const login = await loginToPasscodePage(config, client, other.user);
      expect(await codeAtCallback(login.agent, await login.agent.submit(login.page, { code: await totpCode(other.secret) }))).toBeTruthy();
    });
  });

  describe('passcode failures before a success', () => {
    it('when a user had four wrong passcodes and then the right one, then the count starts again: four more wrong ones in the next login do not lock', async () => {
      const { user, secret } = await mfaUser();
      const first = await loginToPasscodePage(config, client, user);
      let page = first.page;
      for (const code of await wrongCodes(secret, 4)) {
        page = await first.agent.submit(page, { code });
        expect(page.status).toBe(401);
      }
      expect(await codeAtCallback(first.agent, await first.agent.submit(page, { code: await totpCode(secret) }))).toBeTruthy();

      const second = await loginToPasscodePage(config, client, user);
      page = second.page;
      for (const code of await wrongCodes(secret, 4)) {
        page = await second.agent.submit(page, { code });
        expect(page.status).toBe(401);
      }
      // The next time step: the one used above cannot be claimed twice.
      expect(await codeAtCallback(second.agent, await second.agent.submit(page, { code: await totpCode(secret, nowSeconds() + 30) }))).toBeTruthy();
      expect(await env.db('audit_events').where({ target_id: user.id, type: 'mfa.lockout_started' })).toHaveLength(0);
    });
  });

  describe('password lockout', () => {
    /** A fresh login page and the body of the answer to one password submission, normalised for comparison. */
    async function submitPassword(username: string, password: string) {
      const agent = new UserAgent();
      const attempt = await startAuthorization(config, client);
      const page = await openAuthorization(agent, attempt, client);
      const form = parseForms(page.body)[0]!;
      const uid = /\/interaction\/([^/]+)\/login/.exec(form.action)![1]!;
      const response = await agent.submit(page, { username, password });
      const normalised = response.body.replaceAll(uid, 'UID').replaceAll(form.hidden.csrf!, 'CSRF').replaceAll(username, 'USERNAME');
      return { agent, response, normalised };
    }

    let reference: Awaited<ReturnType<typeof submitPassword>>;

    beforeAll(async () => {
      const someone = await createUser(env.db, { companyId });
      reference = await submitPassword(someone.username, 'a-wrong-password');
      expect(reference.response.status).toBe(401);
      expect(reference.response.body).toContain(INVALID_LOGIN);
    });

    it(`when a username had ${PASSWORD_MAX_FAILURES} wrong passwords, then the right password gets exactly the wrong-password answer`, async () => {
      const { user } = await mfaUser();
      for (let i = 0; i < PASSWORD_MAX_FAILURES; i++) {
        const { response } = await submitPassword(user.username, `wrong-${i}`);
        expect(response.status).toBe(401);
      }
      const locked = await submitPassword(user.username, user.password);
      expect(locked.response.status).toBe(reference.response.status);
      expect(locked.response.location).toBeUndefined();
      expect(locked.normalised).toBe(reference.normalised);
      expect(locked.response.headers.get('retry-after')).toBeNull();
      expect(await codeAtCallback(locked.agent, locked.response)).toBeNull();

      const events = await env.db('audit_events').where({ target_id: user.id, type: 'login.password_lockout_started' });
      expect(events).toHaveLength(1);
      expect(JSON.stringify(events)).not.toContain(user.password);
    });

    it('when the username is typed in another case while locked, then it is locked too', async () => {
      const { user } = await mfaUser();
      for (let i = 0; i < PASSWORD_MAX_FAILURES; i++) await submitPassword(user.username, `wrong-${i}`);
      const locked = await submitPassword(user.username.toUpperCase(), user.password);
      expect(locked.response.status).toBe(401);
      expect(locked.response.body).toContain(INVALID_LOGIN);
    });

    it(`when an unknown username had ${PASSWORD_MAX_FAILURES} tries, then the next try gets exactly the wrong-password answer too`, async () => {
      const nobody = uniqueName('nobody');
      for (let i = 0; i < PASSWORD_MAX_FAILURES; i++) {
        const { response, normalised } = await submitPassword(nobody, `wrong-${i}`);
        expect(response.status).toBe(401);
        expect(normalised).toBe(reference.normalised);
      }
      const next = await submitPassword(nobody, 'another-wrong-password');
      expect(next.response.status).toBe(reference.response.status);
      expect(next.normalised).toBe(reference.normalised);
      expect(next.response.headers.get('retry-after')).toBeNull();
    });

    it(`when a username had ${PASSWORD_MAX_FAILURES - 1} wrong passwords and then the right one, then the count starts again: ${PASSWORD_MAX_FAILURES - 1} more wrong ones do not lock it`, async () => {
      const { user } = await mfaUser();
      for (let i = 0; i < PASSWORD_MAX_FAILURES - 1; i++) expect((await submitPassword(user.username, `wrong-${i}`)).response.status).toBe(401);
      expect((await submitPassword(user.username, user.password)).response.location).toMatch(/\/interaction\//);
      for (let i = 0; i < PASSWORD_MAX_FAILURES - 1; i++) expect((await submitPassword(user.username, `again-wrong-${i}`)).response.status).toBe(401);
      // Without the reset this would be failure 2 × (limit − 1) ≥ limit: locked, answered like a wrong password.
      expect((await submitPassword(user.username, user.password)).response.location).toMatch(/\/interaction\//);
      expect(await env.db('audit_events').where({ target_id: user.id, type: 'login.password_lockout_started' })).toHaveLength(0);
    });

    it('when one username is locked, then another user logs in normally', async () => {
      const { user, secret } = await mfaUser();
      const login = await loginToPasscodePage(config, client, user);
      expect(await codeAtCallback(login.agent, await login.agent.submit(login.page, { code: await totpCode(secret) }))).toBeTruthy();
    });
  });

  describe('no silent SSO past MFA', () => {
    it('when a session logged in with a password only and the company then enables MFA, then the next authorization asks for the passcode', async () => {
      const company = await createCompany(env.db, { mfaPolicy: 'DISABLED' });
      const user = await createUser(env.db, { companyId: company.id });
      const secret = await registerAuthenticator(instance, user);
      const agent = new UserAgent();
      const first = await startAuthorization(config, client);
      const loginPage = await openAuthorization(agent, first, client);
      const callback = await followToEnd(agent, await agent.submit(loginPage, { username: user.username, password: user.password }));
      expect((await finishAuthorization(config, first, callback.location!)).claims()!.amr).toEqual(['pwd']);

      await instance.app.services.companies.setMfaPolicy(env.db, company.id, 'ENABLED');
      const next = await startAuthorization(config, client);
      const page = await openAuthorization(agent, next, client);
      expectProductPageWithoutCode(page);
      expect(page.body).toContain('Call Recording Login');
      const passcode = await followToEnd(agent, await agent.submit(page, { username: user.username, password: user.password }));
      expect(passcode.body).toContain(PASSCODE_PAGE_TITLE);
      const done = await followToEnd(agent, await agent.submit(passcode, { code: await totpCode(secret) }));
      expect((await finishAuthorization(config, next, done.location!)).claims()).toMatchObject({ sub: user.id, amr: ['pwd', 'otp', 'mfa'], acr: MFA_ACR });
    });

    it('when an MFA session is asked for prompt=login, then both factors are asked again', async () => {
      const { user, secret } = await mfaUser();
      const epoch = nowSeconds();
      const login = await loginToPasscodePage(config, client, user);
      const callback = await followToEnd(login.agent, await login.agent.submit(login.page, { code: await totpCode(secret, epoch) }));
      await finishAuthorization(config, login.attempt, callback.location!);

      const again = await loginToPasscodePage(config, client, user, { prompt: 'login' }, login.agent);
      const done = await followToEnd(again.agent, await again.agent.submit(again.page, { code: await totpCode(secret, epoch + 30) }));
      expect((await finishAuthorization(config, again.attempt, done.location!)).claims()).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: MFA_ACR });
    });
  });

  describe('what the ID token says', () => {
    it('when the login passed the passcode step, then the ID token has amr pwd, otp, mfa and the MFA acr', async () => {
      const { user, secret } = await mfaUser();
      const login = await loginToPasscodePage(config, client, user);
      const callback = await followToEnd(login.agent, await login.agent.submit(login.page, { code: await totpCode(secret) }));
      const tokens = await finishAuthorization(config, login.attempt, callback.location!);
      expect(tokens.claims()).toMatchObject({ sub: user.id, amr: ['pwd', 'otp', 'mfa'], acr: MFA_ACR });
    });

    it('when the RP asks for the MFA acr by acr_values, then the ID token after the passcode carries it', async () => {
      const { user, secret } = await mfaUser();
      const login = await loginToPasscodePage(config, client, user, { acr_values: MFA_ACR });
      const callback = await followToEnd(login.agent, await login.agent.submit(login.page, { code: await totpCode(secret) }));
      const tokens = await finishAuthorization(config, login.attempt, callback.location!);
      expect(tokens.claims()).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: MFA_ACR });
    });

    it('when the same browser authorizes again through SSO, then the new ID token still says what the login did', async () => {
      const { user, secret } = await mfaUser();
      const login = await loginToPasscodePage(config, client, user);
      const callback = await followToEnd(login.agent, await login.agent.submit(login.page, { code: await totpCode(secret) }));
      await finishAuthorization(config, login.attempt, callback.location!);

      const attempt = await startAuthorization(config, client);
      const sso = await openAuthorization(login.agent, attempt, client);
      expect(sso.location && isCallback(client)(new URL(sso.location))).toBe(true);
      const tokens = await finishAuthorization(config, attempt, sso.location!);
      expect(tokens.claims()).toMatchObject({ sub: user.id, amr: ['pwd', 'otp', 'mfa'], acr: MFA_ACR });
    });
  });
});
