import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { createCompany, createRelyingParty, createUser, type TestClient } from '../support/fixtures.js';
import { discover, loginWithPassword } from '../support/relying-party.js';

describe('password login through an openid-client relying party', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let client: TestClient;
  let config: oidc.Configuration;
  let user: Awaited<ReturnType<typeof createUser>>;
  let companyName: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance();
    const company = await createCompany(env.db);
    companyName = company.name;
    user = await createUser(env.db, { companyId: company.id, firstName: 'Ada', lastName: 'Lovelace', roles: ['MANAGE_OWN_MFA'], telephonyUsername: 'ada.tel' });
    client = await createRelyingParty(env.db, env.keyEncryptionKey);
    config = await discover(instance.issuer, client);
  });
  afterAll(async () => env?.close());

  it('when a user logs in with the right password, then the RP gets a verified ID token with every claim', async () => {
    const { tokens } = await loginWithPassword(config, client, user);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      sub: user.id,
      preferred_username: user.username,
      given_name: 'Ada',
      family_name: 'Lovelace',
      name: 'Ada Lovelace',
      email: user.email,
      company_id: user.companyId,
      company_name: companyName,
      user_policy: 'GLOBAL',
      roles: ['MANAGE_OWN_MFA'],
      telephony_username: 'ada.tel',
      amr: ['pwd'],
      acr: 'urn:callrec-auth:acr:pwd',
    });
    expect(typeof claims.auth_time).toBe('number');
  });
});
