// Admin tooling gets in with the client credentials grant: a JWT access token for the admin API
// audience, verifiable with the provider's own JWKS. Nobody else gets one.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { createRelyingParty, type TestClient } from '../support/fixtures.js';
import { discover, startAuthorization } from '../support/relying-party.js';
import { UserAgent } from '../support/user-agent.js';

const ADMIN_AUDIENCE = 'urn:callrec-auth:admin';
const BOOTSTRAP_ID = 'bootstrap-tooling';
const BOOTSTRAP_SECRET = randomBytes(32).toString('base64url');

describe('client credentials for the admin API', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let tooling: TestClient;
  let toolingConfig: oidc.Configuration;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance({ BOOTSTRAP_ADMIN_CLIENT_ID: BOOTSTRAP_ID, BOOTSTRAP_ADMIN_CLIENT_SECRET: BOOTSTRAP_SECRET });
    tooling = await createRelyingParty(env.db, env.keyEncryptionKey, { kind: 'TOOLING', firstParty: false, grantTypes: ['client_credentials'], redirectUris: [], postLogoutRedirectUris: [] });
    toolingConfig = await discover(instance.issuer, tooling);
    jwks = createRemoteJWKSet(new URL(toolingConfig.serverMetadata().jwks_uri!));
  });
  afterAll(async () => env?.close());

  async function verifyAdminToken(token: string) {
    return jwtVerify(token, jwks, { issuer: instance.issuer, audience: ADMIN_AUDIENCE, algorithms: ['ES256'] });
  }

  it('when a tooling client asks for the admin resource, then it gets an ES256 JWT for the admin audience', async () => {
    const before = Math.floor(Date.now() / 1000);
    const tokens = await oidc.clientCredentialsGrant(toolingConfig, { resource: ADMIN_AUDIENCE, scope: 'admin' });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.scope).toBe('admin');
    expect(decodeProtectedHeader(tokens.access_token).alg).toBe('ES256');

    const { payload, protectedHeader } = await verifyAdminToken(tokens.access_token);
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ iss: instance.issuer, aud: ADMIN_AUDIENCE, client_id: tooling.clientId, scope: 'admin' });
    expect(payload.exp).toBeGreaterThan(before);
    expect(payload.exp! - before).toBeLessThanOrEqual(10 * 60 + 5);
    expect(payload.sub).toBe(tooling.clientId);
  });

  it('when a tooling client asks for an unknown resource, then it gets invalid_target', async () => {
    await expect(oidc.clientCredentialsGrant(toolingConfig, { resource: 'urn:callrec-auth:unknown', scope: 'admin' })).rejects.toMatchObject({ error: 'invalid_target' });
  });

  it('when a tooling client gives the wrong secret, then it gets invalid_client', async () => {
    const wrong = await discover(instance.issuer, { ...tooling, clientSecret: randomBytes(32).toString('base64url') });
    await expect(oidc.clientCredentialsGrant(wrong, { resource: ADMIN_AUDIENCE, scope: 'admin' })).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('when a third-party relying party asks for an admin token with client credentials, then it is refused', async () => {
    const partner = await createRelyingParty(env.db, env.keyEncryptionKey, { firstParty: false, grantTypes: ['authorization_code', 'client_credentials'] });
    const partnerConfig = await discover(instance.issuer, partner);
    await expect(oidc.clientCredentialsGrant(partnerConfig, { resource: ADMIN_AUDIENCE, scope: 'admin' })).rejects.toMatchObject({ error: 'invalid_target' });
  });

  it('when a third-party relying party asks for the admin resource in an authorization request, then it is refused', async () => {
    const partner = await createRelyingParty(env.db, env.keyEncryptionKey, { firstParty: false });
    const partnerConfig = await discover(instance.issuer, partner);
    const attempt = await startAuthorization(partnerConfig, partner, { resource: ADMIN_AUDIENCE, scope: 'openid admin' });
    const response = await new UserAgent().request(attempt.url);
    expect(response.location).toBeDefined();
    const location = new URL(response.location!);
    expect(location.href.startsWith(partner.redirectUri)).toBe(true);
    expect(location.searchParams.get('error')).toBe('invalid_target');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('when a relying party without the client_credentials grant tries it, then it is refused', async () => {
    const firstParty = await createRelyingParty(env.db, env.keyEncryptionKey, { firstParty: true });
    const config = await discover(instance.issuer, firstParty);
    // oidc-provider answers invalid_request ("requested grant type is not allowed for this client").
    await expect(oidc.clientCredentialsGrant(config, { resource: ADMIN_AUDIENCE, scope: 'admin' }))
      .rejects.toMatchObject({ error: expect.stringMatching(/^(unauthorized_client|invalid_request)$/) });
  });

  it('when the bootstrap admin client from the environment asks for an admin token, then it gets one', async () => {
    const bootstrap = await discover(instance.issuer, { clientId: BOOTSTRAP_ID, clientSecret: BOOTSTRAP_SECRET, redirectUri: 'http://127.0.0.1:9/unused' });
    const tokens = await oidc.clientCredentialsGrant(bootstrap, { resource: ADMIN_AUDIENCE, scope: 'admin' });
    const { payload } = await verifyAdminToken(tokens.access_token);
    expect(payload).toMatchObject({ client_id: BOOTSTRAP_ID, aud: ADMIN_AUDIENCE, scope: 'admin' });
  });
});
