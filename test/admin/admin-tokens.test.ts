// Bearer token checks of the admin API: only JWT access tokens this provider issued for the admin
// audience, with the admin scope, unexpired, for an active principal. Everything else is 401 with a
// `WWW-Authenticate: Bearer` challenge. Forged tokens are signed with jose, with the provider's own
// signing key (read from the database as the provider does) or with a stranger's key.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT, generateKeyPair, importJWK, type JWK, type JWTPayload } from 'jose';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { ADMIN_AUDIENCE, adminApi, clientCredentialsToken, toolingToken, userToken } from '../support/admin-client.js';
import { createCompany, createRelyingParty, createUser } from '../support/fixtures.js';
import { loadSigningJwks } from '../../src/oidc/signing-keys.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';

describe('admin API bearer tokens', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let esKey: JWK;
  let toolingClientId: string;
  let globalToken: string;

  /** Signs an access token the way the provider does, with whatever claims and header a test wants. */
  async function forge(claims: JWTPayload, header: Record<string, unknown> = {}, key: JWK = esKey): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: instance.issuer, aud: ADMIN_AUDIENCE, iat: now, exp: now + 300, jti: randomUUID(), sub: toolingClientId, client_id: toolingClientId, scope: 'admin', 'urn:callrec:principal': 'client', ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid, ...header })
      .sign(await importJWK(key, 'ES256'));
  }

  async function expect401(token: string | undefined, raw?: string) {
    const res = await adminApi(instance).call('GET', '/admin/v1/roles', undefined, raw !== undefined ? { authorization: raw } : token ? { authorization: `Bearer ${token}` } : {});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 401, type: 'urn:callrec-auth:problem:unauthorized' });
    return res;
  }

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance();
    const jwks = await loadSigningJwks(env.db, createSecretBox(Buffer.from(env.keyEncryptionKey, 'base64')), new Date());
    esKey = jwks.keys.find((k) => k.alg === 'ES256')!;
    const tooling = await createRelyingParty(env.db, env.keyEncryptionKey, {
      kind: 'TOOLING', firstParty: false, companyId: null, grantTypes: ['client_credentials'], redirectUris: [], postLogoutRedirectUris: [], clientId: `tool-${randomBytes(4).toString('hex')}`,
    });
    toolingClientId = tooling.clientId;
    globalToken = await clientCredentialsToken(instance.issuer, tooling.clientId, tooling.clientSecret);
  });
  afterAll(async () => env?.close());

  it('when a token is forged exactly like the provider signs them, then it is accepted (so the refusals below test one thing each)', async () => {
    const res = await adminApi(instance, await forge({})).get('/admin/v1/companies');
    expect(res.status).toBe(200);
  });

  it('when the real client-credentials token is used, then 200', async () => {
    expect((await adminApi(instance, globalToken).get('/admin/v1/companies')).status).toBe(200);
  });

  it('when there is no Authorization header, a Basic one, or a malformed Bearer one, then 401 with a Bearer challenge', async () => {
    await expect401(undefined);
    await expect401(undefined, `Basic ${Buffer.from('a:b').toString('base64')}`);
    await expect401(undefined, 'Bearer');
    await expect401(undefined, 'Bearer not a jwt at all');
    await expect401(undefined, `Bearer ${globalToken}x`);
    await expect401(undefined, `Bearer ${globalToken.split('.').slice(0, 2).join('.')}.`);
  });

  it("when a user's ID token is presented as the bearer, then 401", async () => {
    const company = await createCompany(env.db, { mfaPolicy: 'DISABLED' });
    const user = await createUser(env.db, { companyId: company.id });
    const login = await userToken(env, instance, user);
    expect((await adminApi(instance, login.accessToken).get('/admin/v1/me')).status).toBe(200);
    await expect401(login.idToken);
  });

  it('when the token was issued without the admin resource (an opaque token for the RP), then 401', async () => {
    const client = await createRelyingParty(env.db, env.keyEncryptionKey, {
      kind: 'TOOLING', firstParty: false, companyId: null, grantTypes: ['client_credentials'], redirectUris: [], postLogoutRedirectUris: [], clientId: `tool-${randomBytes(4).toString('hex')}`,
    });
    const res = await fetch(`${instance.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    const json = (await res.json()) as { access_token?: string };
    expect(typeof json.access_token).toBe('string');
    await expect401(json.access_token);
  });

  it('when a token for another resource is asked for, then the provider refuses to issue it', async () => {
    const client = await createRelyingParty(env.db, env.keyEncryptionKey, {
      kind: 'TOOLING', firstParty: false, companyId: null, grantTypes: ['client_credentials'], redirectUris: [], postLogoutRedirectUris: [], clientId: `tool-${randomBytes(4).toString('hex')}`,
    });
    await expect(clientCredentialsToken(instance.issuer, client.clientId, client.clientSecret, 'urn:callrec-auth:other')).rejects.toThrow(/invalid_target/);
  });

  it.each([
    ['another audience', { aud: 'urn:callrec-auth:other' }],
    ['several audiences, none the admin one', { aud: ['urn:a', 'urn:b'] }],
    ['another issuer', { iss: 'http://127.0.0.1:1' }],
    ['an expiry in the past', { iat: Math.floor(Date.now() / 1000) - 3600, exp: Math.floor(Date.now() / 1000) - 1800 }],
    ['no expiry', { exp: undefined }],
    ['no admin scope', { scope: 'openid profile' }],
    ['no principal claim', { 'urn:callrec:principal': undefined }],
    ['an unknown principal kind', { 'urn:callrec:principal': 'root' }],
    ['a client that is not a tooling client', { client_id: 'no-such-client', sub: 'no-such-client' }],
    ['a user that does not exist', { 'urn:callrec:principal': 'user', sub: randomUUID() }],
  ] as const)('when a token signed with the real key has %s, then 401', async (_name, claims) => {
    await expect401(await forge(claims as JWTPayload));
  });

  it('when the token type is plain JWT (as an ID token has), then 401', async () => {
    await expect401(await forge({}, { typ: 'JWT' }));
  });

  it('when an unexpired token with the right claims is signed with a stranger key under the real kid, then 401', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const { exportJWK } = await import('jose');
    const stranger = { ...(await exportJWK(privateKey)), kid: esKey.kid, alg: 'ES256' };
    await expect401(await forge({}, {}, stranger));
  });

  it('when an expired token is signed with a stranger key, then 401', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const { exportJWK } = await import('jose');
    const stranger = { ...(await exportJWK(privateKey)), kid: 'stranger', alg: 'ES256' };
    await expect401(await forge({ exp: Math.floor(Date.now() / 1000) - 60 }, {}, stranger));
  });

  it('when the token is unsigned (alg none) or HMAC-signed with a guessable secret, then 401', async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: instance.issuer, aud: ADMIN_AUDIENCE, iat: now, exp: now + 300, sub: toolingClientId, client_id: toolingClientId, scope: 'admin', 'urn:callrec:principal': 'client' };
    await expect401(`${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`, `Bearer ${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`);
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: esKey.kid }).sign(new TextEncoder().encode(JSON.stringify({ kty: esKey.kty, crv: esKey.crv, x: esKey.x, y: esKey.y })));
    await expect401(hs);
  });

  it("when a user is deactivated, then their still-valid token is refused at once", async () => {
    const company = await createCompany(env.db, { mfaPolicy: 'DISABLED' });
    const user = await createUser(env.db, { companyId: company.id, roles: ['MANAGE_OWN_MFA'] });
    const login = await userToken(env, instance, user);
    const me = adminApi(instance, login.accessToken);
    expect((await me.get('/admin/v1/me')).status).toBe(200);
    const deactivated = await adminApi(instance, globalToken).patch(`/admin/v1/users/${user.id}`, { status: 'INACTIVE' });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.status).toBe('INACTIVE');
    const res = await me.get('/admin/v1/me');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b.*invalid_token/);
  });

  it('when a company-bound tooling client is deleted, then its still-valid token is refused', async () => {
    const company = await createCompany(env.db);
    const token = await toolingToken(env, instance, company.id);
    const api = adminApi(instance, token);
    expect((await api.get(`/admin/v1/companies/${company.id}`)).status).toBe(200);
    const { client_id: clientId } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { client_id: string };
    expect((await adminApi(instance, globalToken).delete(`/admin/v1/clients/${clientId}`)).status).toBe(204);
    await expect401(token);
  });

  it('when a global client tries to delete itself, then 409 and it keeps working', async () => {
    const res = await adminApi(instance, globalToken).delete(`/admin/v1/clients/${toolingClientId}`);
    expect(res.status).toBe(409);
    expect((await adminApi(instance, globalToken).get('/admin/v1/roles')).status).toBe(200);
  });
});
