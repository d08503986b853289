import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { accountIndexKeys, createAdapterClass } from '../../src/oidc/adapter.js';
import { createClientsRepo } from '../../src/oidc/clients-repo.js';
import { createRedisOidcStore } from '../../src/oidc/redis-oidc-store.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { createCompany, createRelyingParty, uniqueName } from '../support/fixtures.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('oidc-provider adapter', () => {
  let database: TestDatabase;
  let redis: Redis;
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  const keyEncryptionKey = randomBytes(32).toString('base64');
  let AdapterClass: new (name: string) => Adapter;
  const adapter = (name: string) => new AdapterClass(name);
  const id = () => randomBytes(8).toString('hex');

  beforeAll(async () => {
    database = await createTestDatabase();
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const clients = createClientsRepo(createSecretBox(Buffer.from(keyEncryptionKey, 'base64')));
    AdapterClass = createAdapterClass({ store: createRedisOidcStore(redis), prefix, db: database.db, clients });
  });

  afterAll(async () => {
    if (redis) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
    await database?.drop();
  });

  describe('the Client model comes from PostgreSQL', () => {
    it('when a confidential relying party is registered, then the provider gets its metadata with the secret opened', async () => {
      const rp = await createRelyingParty(database.db, keyEncryptionKey, {
        name: 'Recording portal',
        redirectUris: ['https://rp.example.com/cb', 'https://rp.example.com/cb2'],
        postLogoutRedirectUris: ['https://rp.example.com/bye'],
        grantTypes: ['authorization_code', 'refresh_token'],
        firstParty: true,
      });
      const metadata = await adapter('Client').find(rp.clientId);
      expect(metadata).toMatchObject({
        client_id: rp.clientId,
        client_name: 'Recording portal',
        client_secret: rp.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: ['https://rp.example.com/cb', 'https://rp.example.com/cb2'],
        post_logout_redirect_uris: ['https://rp.example.com/bye'],
        'urn:callrec:first_party': true,
        'urn:callrec:kind': 'RELYING_PARTY',
        'urn:callrec:company_id': null,
      });
    });

    it('when a client is stored, then its secret is not in the database in clear', async () => {
      const rp = await createRelyingParty(database.db, keyEncryptionKey);
      const row = await database.db('oidc_clients').where({ client_id: rp.clientId }).first();
      expect(row.secret_sealed).toMatch(/^v1\./);
      expect(row.secret_sealed).not.toContain(rp.clientSecret);
      expect(JSON.stringify(row.metadata)).not.toContain(rp.clientSecret);
    });

    it('when a relying party is not first-party, then the flag says so', async () => {
      const rp = await createRelyingParty(database.db, keyEncryptionKey, { firstParty: false });
      expect((await adapter('Client').find(rp.clientId))?.['urn:callrec:first_party']).toBe(false);
    });

    it('when a client has no secret, then it is a public client (token_endpoint_auth_method none, no secret)', async () => {
      const clientId = uniqueName('public-');
      await createClientsRepo(createSecretBox(Buffer.from(keyEncryptionKey, 'base64'))).upsert(database.db, {
        clientId, name: 'SPA', kind: 'RELYING_PARTY', companyId: null, firstParty: true, secret: null,
        redirectUris: ['https://spa.example.com/cb'], postLogoutRedirectUris: [], grantTypes: ['authorization_code'],
      });
      const metadata = await adapter('Client').find(clientId);
      expect(metadata?.token_endpoint_auth_method).toBe('none');
      expect(metadata).not.toHaveProperty('client_secret');
      expect(metadata?.response_types).toEqual(['code']);
    });

    it('when a tooling client only has client_credentials, then it has no response types and no redirect URIs', async () => {
      const company = await createCompany(database.db);
      const tooling = await createRelyingParty(database.db, keyEncryptionKey, {
        kind: 'TOOLING', companyId: company.id, firstParty: false, grantTypes: ['client_credentials'], redirectUris: ['https://ignored.example.com/cb'],
      });
      expect(await adapter('Client').find(tooling.clientId)).toMatchObject({
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        client_secret: tooling.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        'urn:callrec:kind': 'TOOLING',
        'urn:callrec:company_id': company.id,
      });
    });

    it('when a client is re-registered with a new secret, then the provider sees the new secret', async () => {
      const rp = await createRelyingParty(database.db, keyEncryptionKey);
      const rotated = await createRelyingParty(database.db, keyEncryptionKey, { clientId: rp.clientId, secret: 'rotated-'.padEnd(40, 'x') });
      expect((await adapter('Client').find(rp.clientId))?.client_secret).toBe(rotated.clientSecret);
    });

    it('when the client id is unknown, then find returns undefined', async () => {
      expect(await adapter('Client').find(uniqueName('nobody-'))).toBeUndefined();
    });

    it('when the provider tries to write or delete a client, then it is refused', async () => {
      const rp = await createRelyingParty(database.db, keyEncryptionKey);
      await expect(adapter('Client').upsert(rp.clientId, { client_id: rp.clientId } as AdapterPayload, 0)).rejects.toThrow(/admin API/);
      await expect(adapter('Client').destroy(rp.clientId)).rejects.toThrow(/admin API/);
      expect(await adapter('Client').find(rp.clientId)).toBeDefined();
    });

    it('when a client is looked up, then nothing about it is written to Redis', async () => {
      const rp = await createRelyingParty(database.db, keyEncryptionKey);
      await adapter('Client').find(rp.clientId);
      expect(await redis.keys(`${prefix}*Client*`)).toEqual([]);
    });
  });

  describe('every other model goes to the store', () => {
    it('when a session is upserted, then it is stored under the key prefix and found by id', async () => {
      const sessionId = id();
      const payload = { uid: id(), accountId: 'u-1', loginTs: 1_750_000_000, exp: 1_900_000_000 } as AdapterPayload;
      await adapter('Session').upsert(sessionId, payload, 3600);
      expect(await redis.exists(`${prefix}oidc:Session:${sessionId}`)).toBe(1);
      expect(await redis.ttl(`${prefix}oidc:Session:${sessionId}`)).toBeGreaterThan(3590);
      expect(await adapter('Session').find(sessionId)).toEqual(payload);
    });

    it('when a session is looked up by its uid, then findByUid returns it', async () => {
      const sessionId = id();
      const uid = id();
      await adapter('Session').upsert(sessionId, { uid, accountId: 'u-2' } as AdapterPayload, 3600);
      expect(await adapter('Session').findByUid(uid)).toEqual({ uid, accountId: 'u-2' });
      expect(await adapter('Session').findByUid(id())).toBeUndefined();
    });

    it('when a session is destroyed, then findByUid no longer returns it', async () => {
      const sessionId = id();
      const uid = id();
      await adapter('Session').upsert(sessionId, { uid } as AdapterPayload, 3600);
      await adapter('Session').destroy(sessionId);
      expect(await adapter('Session').find(sessionId)).toBeUndefined();
      expect(await adapter('Session').findByUid(uid)).toBeUndefined();
    });

    it('when a model other than Session has a uid, then findByUid does not find it', async () => {
      const uid = id();
      await adapter('Interaction').upsert(id(), { uid } as AdapterPayload, 600);
      expect(await adapter('Interaction').findByUid(uid)).toBeUndefined();
    });

    it('when a device code has a user code, then findByUserCode returns it', async () => {
      const userCode = 'ABCD-' + id().slice(0, 4).toUpperCase();
      await adapter('DeviceCode').upsert(id(), { userCode, clientId: 'c' } as AdapterPayload, 600);
      expect(await adapter('DeviceCode').findByUserCode(userCode)).toMatchObject({ userCode, clientId: 'c' });
    });

    it('when the same id is used by two models, then they do not overwrite each other', async () => {
      const shared = id();
      await adapter('Interaction').upsert(shared, { kind: 'interaction' } as AdapterPayload, 600);
      await adapter('Session').upsert(shared, { kind: 'session' } as AdapterPayload, 600);
      expect(await adapter('Interaction').find(shared)).toEqual({ kind: 'interaction' });
      expect(await adapter('Session').find(shared)).toEqual({ kind: 'session' });
    });

    it('when another prefix is configured, then its adapter sees none of these models', async () => {
      const sessionId = id();
      await adapter('Session').upsert(sessionId, { a: 1 } as AdapterPayload, 600);
      const clients = createClientsRepo(createSecretBox(Buffer.from(keyEncryptionKey, 'base64')));
      const otherPrefix = `${prefix}other:`;
      const Other = createAdapterClass({ store: createRedisOidcStore(redis), prefix: otherPrefix, db: database.db, clients });
      expect(await new Other('Session').find(sessionId)).toBeUndefined();
    });

    it('when an authorization code is consumed, then find returns it with consumed set to the current epoch second', async () => {
      const codeId = id();
      await adapter('AuthorizationCode').upsert(codeId, { grantId: id(), accountId: 'u-1' } as AdapterPayload, 60);
      expect(await adapter('AuthorizationCode').find(codeId)).not.toHaveProperty('consumed');
      const before = Math.floor(Date.now() / 1000);
      await adapter('AuthorizationCode').consume(codeId);
      const found = await adapter('AuthorizationCode').find(codeId);
      expect(found).toMatchObject({ accountId: 'u-1' });
      expect(found?.consumed).toBeGreaterThanOrEqual(before);
      expect(found?.consumed).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    });

    it('when a grant is revoked, then its access token, refresh token and authorization code are gone, and nothing of another grant', async () => {
      const grantId = id();
      const otherGrantId = id();
      const [accessId, refreshId, codeId, otherAccessId, sessionId, grantModelId] = [id(), id(), id(), id(), id(), grantId];
      await adapter('AccessToken').upsert(accessId, { grantId, kind: 'AccessToken' } as AdapterPayload, 600);
      await adapter('RefreshToken').upsert(refreshId, { grantId, kind: 'RefreshToken' } as AdapterPayload, 3600);
      await adapter('AuthorizationCode').upsert(codeId, { grantId, kind: 'AuthorizationCode' } as AdapterPayload, 60);
      await adapter('AccessToken').upsert(otherAccessId, { grantId: otherGrantId, kind: 'AccessToken' } as AdapterPayload, 600);
      await adapter('Session').upsert(sessionId, { uid: id(), authorizations: { c: { grantId } } } as AdapterPayload, 600);
      await adapter('Grant').upsert(grantModelId, { accountId: 'u-1', clientId: 'c' } as AdapterPayload, 600);

      await adapter('RefreshToken').revokeByGrantId(grantId);

      expect(await adapter('AccessToken').find(accessId)).toBeUndefined();
      expect(await adapter('RefreshToken').find(refreshId)).toBeUndefined();
      expect(await adapter('AuthorizationCode').find(codeId)).toBeUndefined();
      expect(await adapter('AccessToken').find(otherAccessId)).toMatchObject({ grantId: otherGrantId });
      expect(await adapter('Session').find(sessionId)).toBeDefined();
      expect(await adapter('Grant').find(grantModelId)).toMatchObject({ accountId: 'u-1' });
    });

    it("when sessions and grants of an account are upserted, then they are listed under the account's indexes", async () => {
      const accountId = id();
      const [sessionId, grantId, interactionId] = [id(), id(), id()];
      await adapter('Session').upsert(sessionId, { uid: id(), accountId } as AdapterPayload, 3600);
      await adapter('Grant').upsert(grantId, { accountId, clientId: 'c' } as AdapterPayload, 7200);
      await adapter('Interaction').upsert(interactionId, { accountId } as AdapterPayload, 600);
      const store = createRedisOidcStore(redis);
      const index = accountIndexKeys(prefix);
      expect(await store.setMembers(index.sessions(accountId))).toEqual([sessionId]);
      expect(await store.setMembers(index.grants(accountId))).toEqual([grantId]);
      expect(await redis.ttl(index.grants(accountId))).toBeGreaterThan(7190);
    });

    it('when a model that is not a token carries a grantId, then it is not listed under the grant', async () => {
      const grantId = id();
      const interactionId = id();
      await adapter('Interaction').upsert(interactionId, { grantId } as AdapterPayload, 600);
      await adapter('AccessToken').revokeByGrantId(grantId);
      expect(await adapter('Interaction').find(interactionId)).toEqual({ grantId });
    });
  });
});
