// Calls the admin API as tooling or as a user would: real tokens from the provider's token
// endpoint (client credentials with the admin resource), real HTTP to the admin listener.
import { randomBytes } from 'node:crypto';
import type { TestEnvironment, TestInstance } from './test-app.js';
import { createRelyingParty, type TestClient } from './fixtures.js';
import * as oidc from 'openid-client';
import { decodeJwt, type JWTPayload } from 'jose';
import { generate as generateTotp } from 'otplib';
import { UserAgent, parseForms, type PageResponse } from './user-agent.js';
import { discover, isCallback, openAuthorization, startAuthorization } from './relying-party.js';

export const ADMIN_AUDIENCE = 'urn:callrec-auth:admin';

export interface ApiResponse<T = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  status: number;
  headers: Headers;
  body: T;
}

export async function clientCredentialsToken(issuer: string, clientId: string, clientSecret: string, resource = ADMIN_AUDIENCE, scope = 'admin'): Promise<string> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
  });
  const json = (await res.json()) as { access_token?: string; error?: string };
  if (!json.access_token) throw new Error(`no token: ${JSON.stringify(json)}`);
  return json.access_token;
}

/** A tooling client (global, or bound to one company) and a token for it. */
export async function toolingToken(env: TestEnvironment, instance: TestInstance, companyId: string | null = null): Promise<string> {
  const client = await createRelyingParty(env.db, env.keyEncryptionKey, {
    kind: 'TOOLING', firstParty: false, companyId, grantTypes: ['client_credentials'], redirectUris: [], postLogoutRedirectUris: [],
    clientId: `tool-${randomBytes(4).toString('hex')}`,
  });
  return clientCredentialsToken(instance.issuer, client.clientId, client.clientSecret);
}

export function adminApi(instance: TestInstance, token?: string) {
  const call = async <T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(`${instance.adminUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, body: parsed as T };
  };
  return {
    call,
    get: <T = any>(path: string) => call<T>('GET', path), // eslint-disable-line @typescript-eslint/no-explicit-any
    post: <T = any>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}), // eslint-disable-line @typescript-eslint/no-explicit-any
    put: <T = any>(path: string, body: unknown) => call<T>('PUT', path, body), // eslint-disable-line @typescript-eslint/no-explicit-any
    patch: <T = any>(path: string, body: unknown) => call<T>('PATCH', path, body), // eslint-disable-line @typescript-eslint/no-explicit-any
    delete: <T = any>(path: string) => call<T>('DELETE', path), // eslint-disable-line @typescript-eslint/no-explicit-any
  };
}

// ---------------------------------------------------------------------------------------------
// User tokens for the admin API from a real login: a first-party relying party runs code + PKCE
// through the login pages with `resource` and scope `admin`; the token request names the resource
// again (useGrantedResource is off), so the access token is a JWT for the admin audience.

/** The authorization parameters that ask for an admin API token. */
export const ADMIN_LOGIN_PARAMS = { resource: ADMIN_AUDIENCE, scope: 'openid admin' } as const;

export interface AdminRelyingParty {
  client: TestClient;
  config: oidc.Configuration;
}

const relyingParties = new WeakMap<TestInstance, Promise<AdminRelyingParty>>();

/** One first-party relying party per instance (registered and discovered once). */
export function adminRelyingParty(env: TestEnvironment, instance: TestInstance): Promise<AdminRelyingParty> {
  let rp = relyingParties.get(instance);
  if (!rp) {
    rp = (async () => {
      const client = await createRelyingParty(env.db, env.keyEncryptionKey, { firstParty: true });
      return { client, config: await discover(instance.issuer, client) };
    })();
    relyingParties.set(instance, rp);
  }
  return rp;
}

export interface UserTokenOptions {
  /** The user's authenticator secret, when the login will ask for a passcode. */
  totpSecret?: string;
  /** What the authenticator app believes the time is, in seconds (default: now). */
  epochSeconds?: () => number;
  /** Also ask for a refresh token (offline_access with prompt=consent). */
  offline?: boolean;
  agent?: UserAgent;
  rp?: AdminRelyingParty;
}

export interface UserLogin {
  accessToken: string;
  idToken: string;
  refreshToken: string | undefined;
  /** The access token's payload (not verified here: the admin API does that). */
  claims: JWTPayload;
  /** The <h1> of every page the user saw, in order, e.g. ['Call Recording Login', 'MFA Registration', …]. */
  pages: string[];
  /** The authenticator secret in use: the one given, or the one registered during this login. */
  totpSecret: string | undefined;
  agent: UserAgent;
  rp: AdminRelyingParty;
}

export function pageHeading(body: string): string {
  const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(body)?.[1] ?? '';
  return h1.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
}

function passcodeFor(secret: string, options: UserTokenOptions): Promise<string> {
  const epoch = options.epochSeconds ? options.epochSeconds() : Math.floor(Date.now() / 1000);
  return generateTotp({ secret, algorithm: 'sha1', digits: 6, period: 30, epoch });
}

/**
 * Logs the user in through the real pages (password, then whatever MFA asks: passcode, or the
 * registration journey with the secret read from "Can't scan image?") and exchanges the code for
 * an admin API access token. Throws on any page it does not expect.
 */
export async function userToken(
  env: TestEnvironment,
  instance: TestInstance,
  credentials: { username: string; password: string },
  options: UserTokenOptions = {},
): Promise<UserLogin> {
  const rp = options.rp ?? (await adminRelyingParty(env, instance));
  const agent = options.agent ?? new UserAgent();
  const params: Record<string, string> = options.offline
    ? { ...ADMIN_LOGIN_PARAMS, scope: 'openid admin offline_access', prompt: 'consent' }
    : { ...ADMIN_LOGIN_PARAMS };
  const attempt = await startAuthorization(rp.config, rp.client, params);
  const atCallback = isCallback(rp.client);
  let page: PageResponse = await openAuthorization(agent, attempt, rp.client);
  const pages: string[] = [];
  let totpSecret = options.totpSecret;

  for (let step = 0; step < 12; step++) {
    if (page.location && atCallback(new URL(page.location))) {
      const tokens = await oidc.authorizationCodeGrant(
        rp.config,
        new URL(page.location),
        { pkceCodeVerifier: attempt.verifier, expectedState: attempt.state, expectedNonce: attempt.nonce, idTokenExpected: true },
        { resource: ADMIN_AUDIENCE },
      );
      return {
        accessToken: tokens.access_token,
        idToken: tokens.id_token!,
        refreshToken: tokens.refresh_token,
        claims: decodeJwt(tokens.access_token),
        pages,
        totpSecret,
        agent,
        rp,
      };
    }
    if (page.location) {
      page = await agent.follow(page.location, atCallback);
      continue;
    }
    const heading = pageHeading(page.body);
    pages.push(heading);
    const action = parseForms(page.body)[0]?.action ?? '';
    if (/Call Recording Login/.test(heading)) {
      page = await agent.submit(page, { username: credentials.username, password: credentials.password });
    } else if (action.endsWith('/mfa/intro') || action.endsWith('/mfa/recovery-codes')) {
      page = await agent.submit(page, {});
    } else if (action.endsWith('/mfa/scan')) {
      const key = /id="manual-key">([^<]+)</.exec(page.body)?.[1];
      if (!key) throw new Error('no manual key on the MFA Registration page');
      totpSecret = key.replace(/\s+/g, '');
      page = await agent.submit(page, { action: 'continue' });
    } else if (/MFA One-Time Passcode/.test(heading)) {
      if (!totpSecret) throw new Error('the login asks for a passcode but no authenticator secret is known');
      page = await agent.submit(page, { code: await passcodeFor(totpSecret, options) });
    } else {
      throw new Error(`unexpected page during login after ${pages.join(" → ")} (${page.status} "${heading}"): ${page.body.slice(0, 400)}`);
    }
  }
  throw new Error(`login did not finish; pages: ${pages.join(' → ')}`);
}

/** A refresh at the token endpoint for the admin resource (rotating the refresh token). */
export function refreshUserToken(rp: AdminRelyingParty, refreshToken: string) {
  return oidc.refreshTokenGrant(rp.config, refreshToken, { resource: ADMIN_AUDIENCE });
}
