// The relying party side of the tests: openid-client (a certified RP library) discovers the
// provider and runs code + PKCE; the user's side goes through the real login pages.
import * as oidc from 'openid-client';
import { UserAgent, type PageResponse } from './user-agent.js';
import type { TestClient } from './fixtures.js';

export async function discover(issuer: string, client: TestClient): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), client.clientId, client.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
}

export interface AuthorizationAttempt {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function startAuthorization(config: oidc.Configuration, client: TestClient, params: Record<string, string> = {}): Promise<AuthorizationAttempt> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: client.redirectUri,
    scope: 'openid profile email callrec',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, verifier, state, nonce };
}

export function isCallback(client: TestClient) {
  return (url: URL) => url.href.startsWith(client.redirectUri);
}

/** Exchanges the code in the callback URL, validating the ID token against the provider's JWKS. */
export async function finishAuthorization(config: oidc.Configuration, attempt: AuthorizationAttempt, callbackUrl: string) {
  return oidc.authorizationCodeGrant(config, new URL(callbackUrl), {
    pkceCodeVerifier: attempt.verifier,
    expectedState: attempt.state,
    expectedNonce: attempt.nonce,
    idTokenExpected: true,
  });
}

/** Opens the authorization URL and returns the first page that is not a redirect (or the callback). */
export async function openAuthorization(agent: UserAgent, attempt: AuthorizationAttempt, client: TestClient): Promise<PageResponse> {
  return agent.follow(attempt.url.href, isCallback(client));
}

/** The whole password login: authorize → login page → submit → callback → tokens. */
export async function loginWithPassword(
  config: oidc.Configuration,
  client: TestClient,
  credentials: { username: string; password: string },
  params: Record<string, string> = {},
  agent = new UserAgent(),
) {
  const attempt = await startAuthorization(config, client, params);
  const page = await openAuthorization(agent, attempt, client);
  if (!/Call Recording Login/.test(page.body)) throw new Error(`expected the login page, got ${page.status}: ${page.body.slice(0, 300)}`);
  const submitted = await agent.submit(page, { username: credentials.username, password: credentials.password });
  if (!submitted.location) throw new Error(`login did not redirect (${submitted.status}): ${submitted.body.slice(0, 300)}`);
  const callback = await agent.follow(submitted.location, isCallback(client));
  if (!callback.location) throw new Error(`no callback redirect (${callback.status}): ${callback.body.slice(0, 300)}`);
  const tokens = await finishAuthorization(config, attempt, callback.location);
  return { tokens, agent };
}
