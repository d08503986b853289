import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { createCompany, createRelyingParty, createUser, type TestClient } from '../support/fixtures.js';
import { discover, loginWithPassword } from '../support/relying-party.js';
import { adminApi, toolingToken } from '../support/admin-client.js';
import { rotateSigningKeys } from '../../src/oidc/signing-keys.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';

describe('signing-key rotation without downtime', () => {
  let env: TestEnvironment;
  let a: TestInstance;
  let b: TestInstance;
  let client: TestClient;
  let user: Awaited<ReturnType<typeof createUser>>;

  const jwksKids = async (instance: TestInstance) => {
    const res = await fetch(`${instance.issuer}/jwks`);
    return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
  };
  const idTokenKid = async (instance: TestInstance) => {
    const config = await discover(instance.issuer, client);
    const { tokens } = await loginWithPassword(config, client, user);
    return { kid: decodeProtectedHeader(tokens.id_token!).kid!, idToken: tokens.id_token!, config };
  };

  beforeAll(async () => {
    env = await createTestEnvironment();
    a = await env.startInstance();
    b = await env.startInstance();
    const company = await createCompany(env.db);
    user = await createUser(env.db, { companyId: company.id });
    client = await createRelyingParty(env.db, env.keyEncryptionKey);
  });
  afterAll(async () => env?.close());

  it('when keys rotate, then the new key is published before it signs, the old one is published until retired, and replicas agree', async () => {
    // The keys in use were made a while ago (the test itself runs within a second).
    await env.db('signing_keys').update({ activates_at: new Date(Date.now() - 24 * 3600 * 1000) });
    await a.app.refreshKeys();
    await b.app.refreshKeys();
    const before = await idTokenKid(a);
    const oldKids = await jwksKids(a);
    expect(oldKids).toContain(before.kid);

    const box = createSecretBox(Buffer.from(env.keyEncryptionKey, 'base64'));
    const { added } = await rotateSigningKeys(env.db, box, { now: new Date(), activateInSeconds: 3600, retireAfterSeconds: 3600 });
    expect(await a.app.refreshKeys()).toBe(true);
    expect(await b.app.refreshKeys()).toBe(true);
    expect(await a.app.refreshKeys()).toBe(false);

    // Published everywhere, not yet signing.
    for (const instance of [a, b]) expect(await jwksKids(instance)).toEqual(expect.arrayContaining([...oldKids, ...added]));
    expect((await idTokenKid(b)).kid).toBe(before.kid);

    // The activation moment passes: every replica signs with the new key, the old one stays published.
    await env.db('signing_keys').whereIn('kid', added).update({ activates_at: new Date(Date.now() - 1000) });
    await a.app.refreshKeys();
    await b.app.refreshKeys();
    const after = await idTokenKid(a);
    expect(added).toContain(after.kid);
    expect((await idTokenKid(b)).kid).toBe(after.kid);
    expect(await jwksKids(b)).toContain(before.kid);
    // A token signed before the rotation still verifies against the published set.
    await expect(jwtVerify(before.idToken, createRemoteJWKSet(new URL(`${b.issuer}/jwks`)))).resolves.toBeDefined();

    // Admin API tokens (ES256) are verified with the current keys.
    const token = await toolingToken(env, a);
    expect(added).toContain(decodeProtectedHeader(token).kid);
    expect((await adminApi(a, token).get('/admin/v1/roles')).status).toBe(200);

    // Retired: no longer published.
    await env.db('signing_keys').whereIn('kid', oldKids).update({ retires_at: new Date(Date.now() - 1000) });
    await a.app.refreshKeys();
    const published = await jwksKids(a);
    for (const kid of oldKids) expect(published).not.toContain(kid);
    expect(published).toEqual(expect.arrayContaining(added));
  });
});
