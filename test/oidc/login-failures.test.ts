// The password page under failure and abuse: failures that must be indistinguishable (message,
// status, HTML and coarse timing), the page's security properties, CSRF and cross-interaction
// posts, replays, and bodies that must never reach a 500.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { createCompany, createRelyingParty, createUser, uniqueName, type TestClient } from '../support/fixtures.js';
import { discover, finishAuthorization, isCallback, loginWithPassword, openAuthorization, startAuthorization } from '../support/relying-party.js';
import { UserAgent, parseForms, type PageResponse } from '../support/user-agent.js';
import { createPasswordHasher } from '../../src/accounts/passwords.js';

const INVALID_LOGIN = 'The username or password you entered is incorrect.';
const TRIES = 7;

type TestUser = Awaited<ReturnType<typeof createUser>>;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe('password login failures', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let client: TestClient;
  let config: oidc.Configuration;
  let companyId: string;
  let user: TestUser;

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance();
    companyId = (await createCompany(env.db)).id;
    user = await createUser(env.db, { companyId });
    client = await createRelyingParty(env.db, env.keyEncryptionKey);
    config = await discover(instance.issuer, client);
  });
  afterAll(async () => env?.close());

  /** A fresh login page in a fresh (or given) browser, with its interaction uid and form fields. */
  async function openLoginPage(agent = new UserAgent()) {
    const attempt = await startAuthorization(config, client);
    const page = await openAuthorization(agent, attempt, client);
    expect(page.body).toContain('Call Recording Login');
    const form = parseForms(page.body)[0]!;
    const uid = /\/interaction\/([^/]+)\/login/.exec(form.action)![1]!;
    return { agent, attempt, page, form, uid, csrf: form.hidden.csrf! };
  }

  async function timedSubmit(username: string, password: string): Promise<{ response: PageResponse; ms: number }> {
    const { agent, page } = await openLoginPage();
    const started = performance.now();
    const response = await agent.submit(page, { username, password });
    return { response, ms: performance.now() - started };
  }

  function expectInvalidLoginPage(response: PageResponse) {
    expect(response.status).toBe(401);
    expect(response.location).toBeUndefined();
    expect(response.body).toContain(INVALID_LOGIN);
    expect(response.body).toContain('Call Recording Login');
  }

  function expectProductPage(response: PageResponse) {
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.body).toContain('Call Recording');
    expect(response.body).not.toMatch(/\bat .*\.(js|ts):\d+|node_modules/);
  }

  /** Follows whatever a response redirects to and says whether the RP ever got a code. */
  async function reachesCodeAtCallback(agent: UserAgent, response: PageResponse): Promise<boolean> {
    if (!response.location) return false;
    if (isCallback(client)(new URL(response.location))) return new URL(response.location).searchParams.has('code');
    const end = await agent.follow(response.location, isCallback(client));
    return Boolean(end.location && isCallback(client)(new URL(end.location)) && new URL(end.location).searchParams.has('code'));
  }

  describe('indistinguishable failures', () => {
    it('when the password is wrong, the username unknown or the user inactive, then the status, message and HTML are the same', async () => {
      const inactive = await createUser(env.db, { companyId, status: 'INACTIVE' });
      const cases = [
        { username: user.username, password: 'wrong-password-1' },
        { username: uniqueName('nobody'), password: 'wrong-password-1' },
        { username: inactive.username, password: inactive.password },
      ];
      const normalised: string[] = [];
      for (const { username, password } of cases) {
        const { agent, page, uid, csrf } = await openLoginPage();
        const response = await agent.submit(page, { username, password });
        expectInvalidLoginPage(response);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(response.body).toContain(`value="${username}"`);
        expect(response.body).not.toContain(password);
        normalised.push(response.body.replaceAll(uid, 'UID').replaceAll(csrf, 'CSRF').replaceAll(username, 'USERNAME'));
      }
      expect(normalised[1]).toBe(normalised[0]);
      expect(normalised[2]).toBe(normalised[0]);
    });

    it('when the username is unknown or the user inactive, then the answer takes about as long as an argon2 verification', async () => {
      // A reference verification in this process with the service's parameters.
      const hasher = await createPasswordHasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
      const referenceHash = await hasher.hash('reference-password');
      const verifyOnce = async () => {
        const started = performance.now();
        await hasher.verify(referenceHash, 'not-the-reference');
        return performance.now() - started;
      };

      // Separate accounts per try, so a lockout of repeated failures cannot skew the timing.
      const wrongUsers = await Promise.all(Array.from({ length: TRIES }, () => createUser(env.db, { companyId })));
      const inactiveUsers = await Promise.all(Array.from({ length: TRIES }, () => createUser(env.db, { companyId, status: 'INACTIVE' })));
      await timedSubmit(user.username, 'warm-up-wrong'); // the first request pays for lazy initialisation

      // Rounds of one of each, back to back, so the three share the machine's load of the moment;
      // the comparisons are medians of per-round ratios, which a busy neighbour moves far less.
      const rounds: Array<{ verification: number; wrongPassword: number; unknownUser: number; inactiveUser: number }> = [];
      for (let i = 0; i < TRIES; i++) {
        const verification = await verifyOnce();
        const wrong = await timedSubmit(wrongUsers[i]!.username, 'wrong-password-1');
        const unknown = await timedSubmit(uniqueName('nobody'), 'wrong-password-1');
        const inactive = await timedSubmit(inactiveUsers[i]!.username, inactiveUsers[i]!.password);
        for (const { response } of [wrong, unknown, inactive]) expectInvalidLoginPage(response);
        rounds.push({ verification, wrongPassword: wrong.ms, unknownUser: unknown.ms, inactiveUser: inactive.ms });
      }

      const medianOf = (pick: (round: (typeof rounds)[number]) => number) => median(rounds.map(pick));
      const report = {
        verification: medianOf((r) => r.verification),
        wrongPassword: medianOf((r) => r.wrongPassword),
        unknownUser: medianOf((r) => r.unknownUser),
        inactiveUser: medianOf((r) => r.inactiveUser),
        unknownToWrong: medianOf((r) => r.unknownUser / r.wrongPassword),
        inactiveToWrong: medianOf((r) => r.inactiveUser / r.wrongPassword),
      };
      // Coarse ratios only: machines are noisy. An unknown user answered without hashing would be
      // several times faster than a wrong password. The report is part of the compared value so a
      // failure shows the numbers.
      expect({
        report,
        wrongPasswordHashes: report.wrongPassword >= 0.5 * report.verification,
        unknownUserHashes: report.unknownUser >= 0.5 * report.verification,
        inactiveUserHashes: report.inactiveUser >= 0.5 * report.verification,
        unknownLikeWrong: report.unknownToWrong >= 0.4,
        inactiveLikeWrong: report.inactiveToWrong >= 0.4,
      }).toEqual({
        report,
        wrongPasswordHashes: true,
        unknownUserHashes: true,
        inactiveUserHashes: true,
        unknownLikeWrong: true,
        inactiveLikeWrong: true,
      });
    }, 60_000);
  });

  describe('what counts as the right credentials', () => {
    it('when the username is typed in another case, then the login succeeds for the same user', async () => {
      const mixed = await createUser(env.db, { companyId, username: uniqueName('MixedCase') });
      const upper = await loginWithPassword(config, client, { username: mixed.username.toUpperCase(), password: mixed.password });
      expect(upper.tokens.claims()!.sub).toBe(mixed.id);
      const lower = await loginWithPassword(config, client, { username: mixed.username.toLowerCase(), password: mixed.password });
      expect(lower.tokens.claims()!.sub).toBe(mixed.id);
      expect(lower.tokens.claims()!.preferred_username).toBe(mixed.username);
    });

    it('when the password has 128 code points outside the BMP, then it is accepted exactly as stored', async () => {
      const longest = '🔑'.repeat(127) + 'é';
      const owner = await createUser(env.db, { companyId, password: longest });
      const { tokens } = await loginWithPassword(config, client, { username: owner.username, password: longest });
      expect(tokens.claims()!.sub).toBe(owner.id);
      // Unicode is kept exactly: the decomposed form of é is another password.
      const { agent, page } = await openLoginPage();
      expectInvalidLoginPage(await agent.submit(page, { username: owner.username, password: '🔑'.repeat(127) + 'e\u0301' }));
    });

    it('when the password has 129 code points, then it fails like a wrong password even if it is the stored one', async () => {
      const tooLong = '🔑'.repeat(129);
      const owner = await createUser(env.db, { companyId, password: tooLong });
      const { agent, page } = await openLoginPage();
      expectInvalidLoginPage(await agent.submit(page, { username: owner.username, password: tooLong }));
    });
  });

  describe('the login page', () => {
    it('when the login page is shown, then it is not cached, forbids inline script and has labelled, autocompletable fields', async () => {
      const { page } = await openLoginPage();
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-store');
      const csp = page.headers.get('content-security-policy') ?? '';
      const scriptSrc = /(?:^|;)\s*script-src ([^;]*)/.exec(csp)?.[1] ?? /(?:^|;)\s*default-src ([^;]*)/.exec(csp)?.[1];
      expect(scriptSrc).toBeDefined();
      expect(scriptSrc).not.toContain("'unsafe-inline'");
      expect(scriptSrc).not.toContain("'unsafe-eval'");
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(page.body).not.toMatch(/\son[a-z]+=/i);
      expect(page.body).toMatch(/<label for="username">Username<\/label>/);
      expect(page.body).toMatch(/<label for="password">Password<\/label>/);
      expect(page.body).toMatch(/<input[^>]*id="username"[^>]*autocomplete="username"/);
      expect(page.body).toMatch(/<input[^>]*id="password"[^>]*type="password"[^>]*autocomplete="current-password"/);
      expect(page.body).toContain('Please enter your username and password to login.');
      expect(page.body).toContain('Forgotten login details?');
      expect(page.body).toMatch(/<button type="submit">Login/);
    });
  });

  describe('forged and replayed posts', () => {
    it('when the form is posted without its csrf field, then a 403 page answers and nobody is logged in', async () => {
      const { agent, page, form } = await openLoginPage();
      const response = await agent.request(new URL(form.action, page.url), {
        form: { username: user.username, password: user.password },
        headers: { origin: new URL(page.url).origin },
      });
      expect(response.status).toBe(403);
      expectProductPage(response);
      expect(response.body).toContain('This form could not be accepted');
      expect(await reachesCodeAtCallback(agent, response)).toBe(false);
    });

    it('when the form is posted with the Origin of another site, then a 403 page answers and nobody is logged in', async () => {
      const { agent, page, form } = await openLoginPage();
      const response = await agent.request(new URL(form.action, page.url), {
        form: { ...form.hidden, username: user.username, password: user.password },
        headers: { origin: 'https://attacker.example.com' },
      });
      expect(response.status).toBe(403);
      expectProductPage(response);
      expect(await reachesCodeAtCallback(agent, response)).toBe(false);
    });

    it("when a login form is posted to another browser's interaction, then it does not log that interaction in", async () => {
      const attacker = await openLoginPage();
      const victim = await openLoginPage();
      const attackerUser = await createUser(env.db, { companyId });
      const target = `${instance.issuer}/interaction/${victim.uid}/login`;

      // The attacker's own form token, pointed at the victim's interaction.
      const ownToken = await attacker.agent.request(target, {
        form: { csrf: attacker.csrf, username: attackerUser.username, password: attackerUser.password },
        headers: { origin: new URL(instance.issuer).origin },
      });
      expect(ownToken.status).toBeGreaterThanOrEqual(400);
      expect(ownToken.status).toBeLessThan(500);
      expectProductPage(ownToken);
      expect(await reachesCodeAtCallback(attacker.agent, ownToken)).toBe(false);

      // The victim's form token (as if leaked), still without the victim's interaction cookie.
      const victimToken = await attacker.agent.request(target, {
        form: { csrf: victim.csrf, username: attackerUser.username, password: attackerUser.password },
        headers: { origin: new URL(instance.issuer).origin },
      });
      expect(victimToken.status).toBeGreaterThanOrEqual(400);
      expect(victimToken.status).toBeLessThan(500);
      expectProductPage(victimToken);
      expect(await reachesCodeAtCallback(attacker.agent, victimToken)).toBe(false);

      // The victim's login is untouched: it still asks for a password and completes as the victim.
      const stillLogin = await victim.agent.request(victim.page.url);
      expect(stillLogin.status).toBe(200);
      expect(stillLogin.body).toContain('Call Recording Login');
      const submitted = await victim.agent.submit(stillLogin, { username: user.username, password: user.password });
      const callback = await victim.agent.follow(submitted.location!, isCallback(client));
      const tokens = await finishAuthorization(config, victim.attempt, callback.location!);
      expect(tokens.claims()!.sub).toBe(user.id);
    });

    it('when a login form is replayed after the login finished, then no second code is issued', async () => {
      const { agent, page, attempt, form } = await openLoginPage();
      const fields = { ...form.hidden, username: user.username, password: user.password };
      const submitted = await agent.submit(page, { username: user.username, password: user.password });
      const callback = await agent.follow(submitted.location!, isCallback(client));
      await finishAuthorization(config, attempt, callback.location!);

      const replay = await agent.request(new URL(form.action, page.url), { form: fields, headers: { origin: new URL(page.url).origin } });
      expect(await reachesCodeAtCallback(agent, replay)).toBe(false);
      if (!replay.location) {
        expect(replay.status).toBeGreaterThanOrEqual(400);
        expect(replay.status).toBeLessThan(500);
        expectProductPage(replay);
      }
    });

    it('when the login form is posted twice before the redirect is followed, then only one code is issued', async () => {
      const { agent, page } = await openLoginPage();
      const first = await agent.submit(page, { username: user.username, password: user.password });
      const second = await agent.submit(page, { username: user.username, password: user.password });
      const codes = [await reachesCodeAtCallback(agent, first), await reachesCodeAtCallback(agent, second)];
      expect(codes.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('bodies that are not a login form', () => {
    /** Posts a raw body to a live interaction (its cookie, its csrf token). */
    async function postRaw(makeBody: (csrf: string) => BodyInit, headers: Record<string, string>): Promise<PageResponse> {
      const { agent, page, form, csrf } = await openLoginPage();
      const url = new URL(form.action, page.url);
      const response = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: agent.cookieHeader(url), origin: url.origin, ...headers },
        body: makeBody(csrf),
      });
      return { status: response.status, url: url.href, location: response.headers.get('location') ?? undefined, headers: response.headers, body: await response.text() };
    }
    const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

    it('when the body is larger than 16 kB, then a 4xx page answers', async () => {
      const response = await postRaw((csrf) => new URLSearchParams({ csrf, username: 'a'.repeat(20_000), password: 'x' }).toString(), FORM);
      expect(response.status).toBe(413);
      expectProductPage(response);
    });

    it.each<[string, (csrf: string) => BodyInit, Record<string, string>]>([
      ['a broken percent-encoding', (csrf) => `csrf=${csrf}&username=%E0%A4%A&password=%`, FORM],
      ['invalid UTF-8 bytes', (csrf) => Buffer.concat([Buffer.from(`csrf=${csrf}&username=`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('&password=x')]), FORM],
      ['repeated fields', (csrf) => `csrf=${csrf}&username=a&username=b&password[]=x&password[]=y`, FORM],
      ['a csrf field that is an object', () => 'csrf[a]=1&username=a&password=b', FORM],
      ['deeply nested brackets', (csrf) => `csrf=${csrf}&username${'[a]'.repeat(200)}=x&password=y`, FORM],
      ['JSON instead of a form', (csrf) => JSON.stringify({ csrf, username: 'a', password: 'b' }), { 'content-type': 'application/json' }],
      ['an unknown charset', (csrf) => `csrf=${csrf}&username=a&password=b`, { 'content-type': 'application/x-www-form-urlencoded; charset=x-unknown' }],
      ['an unknown content encoding', (csrf) => `csrf=${csrf}&username=a&password=b`, { ...FORM, 'content-encoding': 'x-unknown' }],
      ['a gzip encoding that is not gzip', (csrf) => `csrf=${csrf}&username=a&password=b`, { ...FORM, 'content-encoding': 'gzip' }],
    ])('when the body has %s, then a 4xx page answers, never a 500', async (_label, makeBody, headers) => {
      const response = await postRaw(makeBody, headers);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expectProductPage(response);
    });
  });
});
