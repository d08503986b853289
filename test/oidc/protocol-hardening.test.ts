// The provider refuses what the production profile forbids (no PKCE, plain PKCE, implicit and
// hybrid response types), says so in discovery, signs ID tokens verifiably, and shows errors it
// cannot send back to the RP as a product page.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { createCompany, createRelyingParty, createUser, type TestClient } from '../support/fixtures.js';
import { discover, loginWithPassword } from '../support/relying-party.js';
import { UserAgent, type PageResponse } from '../support/user-agent.js';

describe('protocol hardening', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let client: TestClient;
  let config: oidc.Configuration;
  let user: Awaited<ReturnType<typeof createUser>>;

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance();
    const company = await createCompany(env.db);
    user = await createUser(env.db, { companyId: company.id });
    client = await createRelyingParty(env.db, env.keyEncryptionKey);
    config = await discover(instance.issuer, client);
  });
  afterAll(async () => env?.close());

  /** An authorization request built by hand, so it can break the rules openid-client would follow. */
  function authorizeUrl(params: Record<string, string | undefined>): string {
    const url = new URL(config.serverMetadata().authorization_endpoint!);
    const all: Record<string, string | undefined> = {
      client_id: client.clientId,
      redirect_uri: client.redirectUri,
      response_type: 'code',
      scope: 'openid',
      state: 'st',
      nonce: 'n0nce',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      ...params,
    };
    for (const [key, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(key, value);
    return url.href;
  }

  /** The error the provider sent back to the RP's redirect_uri, in the query or the fragment. */
  function errorAtRedirect(response: PageResponse): string | null {
    expect(response.location).toBeDefined();
    const location = new URL(response.location!);
    expect(`${location.origin}${location.pathname}`).toBe(client.redirectUri);
    const params = location.searchParams.has('error') ? location.searchParams : new URLSearchParams(location.hash.slice(1));
    expect(params.get('code')).toBeNull();
    expect(params.get('id_token')).toBeNull();
    expect(params.get('access_token')).toBeNull();
    return params.get('error');
  }

  function expectProductErrorPage(page: PageResponse) {
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect(page.status).toBeLessThan(500);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.body).toContain('Call Recording');
    expect(page.body).toContain('We could not log you in');
    expect(page.body).not.toMatch(/\bat .*\.(js|ts):\d+/);
    expect(page.body).not.toMatch(/node_modules|Error: /);
  }

  it('when an authorization request has no code_challenge, then it is refused with invalid_request', async () => {
    const response = await new UserAgent().request(authorizeUrl({ code_challenge: undefined, code_challenge_method: undefined }));
    expect(errorAtRedirect(response)).toBe('invalid_request');
  });

  it('when an authorization request uses code_challenge_method=plain, then it is refused', async () => {
    const response = await new UserAgent().request(authorizeUrl({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }));
    expect(errorAtRedirect(response)).toBe('invalid_request');
  });

  it.each(['id_token', 'token', 'code id_token', 'id_token token'])('when an authorization request asks for response_type=%s, then it is refused', async (responseType) => {
    const response = await new UserAgent().request(authorizeUrl({ response_type: responseType }));
    expect(errorAtRedirect(response)).toBe('unsupported_response_type');
  });

  it('when an RP reads discovery, then it advertises S256 PKCE only, the code response type only, and the acr values', async () => {
    const response = await fetch(`${instance.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(instance.issuer);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.acr_values_supported).toEqual(expect.arrayContaining(['urn:callrec-auth:acr:pwd']));
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(metadata.grant_types_supported).not.toContain('implicit');
    expect(metadata.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256']));
    expect(metadata.id_token_signing_alg_values_supported).not.toContain('none');
    for (const endpoint of ['jwks_uri', 'userinfo_endpoint', 'end_session_endpoint', 'revocation_endpoint', 'token_endpoint']) {
      expect(typeof metadata[endpoint]).toBe('string');
    }
  });

  it('when a user logs in, then the ID token is signed with RS256 and verifies against the jwks_uri', async () => {
    const strict = await discover(instance.issuer, client);
    // openid-client only checks token-endpoint ID token signatures when asked to.
    oidc.enableNonRepudiationChecks(strict);
    const { tokens } = await loginWithPassword(strict, client, user);
    const idToken = tokens.id_token!;
    expect(decodeProtectedHeader(idToken).alg).toBe('RS256');

    const jwks = createRemoteJWKSet(new URL(strict.serverMetadata().jwks_uri!));
    const { payload, protectedHeader } = await jwtVerify(idToken, jwks, { issuer: instance.issuer, audience: client.clientId, algorithms: ['RS256'] });
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload.sub).toBe(user.id);
  });

  it('when the JWKS is published, then it holds public keys only (RS256 and ES256)', async () => {
    const { keys } = (await (await fetch(config.serverMetadata().jwks_uri!)).json()) as { keys: Array<Record<string, unknown>> };
    expect(keys.map((k) => k.kty)).toEqual(expect.arrayContaining(['RSA', 'EC']));
    for (const key of keys) {
      for (const privatePart of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key[privatePart]).toBeUndefined();
    }
  });

  it('when the redirect_uri is not registered, then the user sees a product error page instead of a redirect', async () => {
    const page = await new UserAgent().request(authorizeUrl({ redirect_uri: 'https://attacker.example.com/callback' }));
    expect(page.location).toBeUndefined();
    expectProductErrorPage(page);
    expect(page.body).toContain('redirect_uri');
  });

  it('when the client_id is unknown, then the user sees a product error page instead of a redirect', async () => {
    const page = await new UserAgent().request(authorizeUrl({ client_id: 'no-such-client' }));
    expect(page.location).toBeUndefined();
    expectProductErrorPage(page);
    expect(page.body).toContain('invalid_client');
  });
});
