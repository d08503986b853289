// The user's side of MFA in HTTP-level tests: an authenticator app (otplib computing codes from the
// secret), an authenticator registered through the repository, and a login driven up to the
// MFA One-Time Passcode page.
import { generate } from 'otplib';
import type * as oidc from 'openid-client';
import { createTotpSecret } from '../../src/mfa/totp.js';
import type { TestInstance } from './test-app.js';
import type { TestClient } from './fixtures.js';
import { UserAgent, parseForms, type PageResponse } from './user-agent.js';
import { openAuthorization, startAuthorization, type AuthorizationAttempt } from './relying-party.js';

export const PASSCODE_PAGE_TITLE = 'MFA One-Time Passcode';

/** What an authenticator app shows for `secret` at `epochSeconds` (now by default). */
export function totpCode(secret: string, epochSeconds = Math.floor(Date.now() / 1000)): Promise<string> {
  return generate({ secret, algorithm: 'sha1', digits: 6, period: 30, epoch: epochSeconds });
}

/**
 * Registers an authenticator for the user directly (as a finished registration would), with its
 * last used step far enough back that the codes of the current time step are still accepted.
 */
export async function registerAuthenticator(instance: TestInstance, user: { id: string; companyId: string }, secret = createTotpSecret()): Promise<string> {
  const activated = await instance.app.services.authenticators.activate(instance.app.db, { userId: user.id, companyId: user.companyId, secret, step: 0 });
  if (!activated) throw new Error(`user ${user.id} already has an authenticator`);
  return secret;
}

export interface PasscodeLogin {
  agent: UserAgent;
  attempt: AuthorizationAttempt;
  /** The MFA One-Time Passcode page. */
  page: PageResponse;
  uid: string;
  /** The passcode form's hidden fields (its csrf token). */
  hidden: Record<string, string>;
}

/** Starts an authorization, submits the password and follows to the page after it (which must be the passcode page). */
export async function loginToPasscodePage(
  config: oidc.Configuration,
  client: TestClient,
  credentials: { username: string; password: string },
  params: Record<string, string> = {},
  agent = new UserAgent(),
): Promise<PasscodeLogin> {
  const attempt = await startAuthorization(config, client, params);
  const loginPage = await openAuthorization(agent, attempt, client);
  if (!/Call Recording Login/.test(loginPage.body)) throw new Error(`expected the login page, got ${loginPage.status}: ${loginPage.body.slice(0, 300)}`);
  const submitted = await agent.submit(loginPage, { username: credentials.username, password: credentials.password });
  if (!submitted.location) throw new Error(`password step did not redirect (${submitted.status}): ${submitted.body.slice(0, 300)}`);
  const page = await agent.follow(submitted.location);
  if (!page.body.includes(PASSCODE_PAGE_TITLE)) throw new Error(`expected the passcode page, got ${page.status}: ${page.body.slice(0, 300)}`);
  const form = parseForms(page.body)[0]!;
  const uid = /\/interaction\/([^/]+)\//.exec(form.action)![1]!;
  return { agent, attempt, page, uid, hidden: form.hidden };
}
