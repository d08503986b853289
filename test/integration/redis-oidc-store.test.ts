import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisOidcStore } from '../../src/oidc/redis-oidc-store.js';
import type { OidcStore } from '../../src/oidc/oidc-store.js';
import { describeOidcStoreContract, type OidcStoreHarness } from '../unit/oidc-store-contract.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `test:${randomBytes(6).toString('hex')}:`;
const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
let store: OidcStore;

beforeAll(async () => {
  await redis.connect();
  store = createRedisOidcStore(redis);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const key = (label: string) => `${prefix}${label}:${randomBytes(4).toString('hex')}`;

function redisHarness(): OidcStoreHarness {
  return {
    store,
    key,
    async expectExpiresIn(k, seconds, stillThere) {
      const ttl = await redis.ttl(k);
      expect(ttl).toBeGreaterThan(seconds - 5);
      expect(ttl).toBeLessThanOrEqual(seconds);
      expect(await stillThere()).toBe(true);
    },
    async expectNoExpiry(k, stillThere) {
      expect(await redis.ttl(k)).toBe(-1);
      expect(await stillThere()).toBe(true);
    },
  };
}

describeOidcStoreContract('Redis store', redisHarness);

describe('Redis store: keys and lifetimes', () => {
  it('when a grant gets tokens of different lifetimes, then the grant list lives as long as the longest one', async () => {
    const grant = key('grant');
    await store.upsert(key('AuthorizationCode'), { t: 'code' }, 60, { grantKey: grant });
    expect(await redis.ttl(grant)).toBeGreaterThan(55);
    expect(await redis.ttl(grant)).toBeLessThanOrEqual(60);
    await store.upsert(key('RefreshToken'), { t: 'rt' }, 3600, { grantKey: grant });
    expect(await redis.ttl(grant)).toBeGreaterThan(3595);
    await store.upsert(key('AccessToken'), { t: 'at' }, 600, { grantKey: grant });
    expect(await redis.ttl(grant)).toBeGreaterThan(3595);
    expect(await redis.llen(grant)).toBe(3);
  });

  it('when a grant is revoked, then its list key is gone too', async () => {
    const grant = key('grant');
    await store.upsert(key('AccessToken'), { t: 'at' }, 600, { grantKey: grant });
    expect(await redis.exists(grant)).toBe(1);
    await store.revokeGrant(grant);
    expect(await redis.exists(grant)).toBe(0);
  });

  it('when a model is written, then it is one string holding the payload, with its TTL', async () => {
    const k = key('AccessToken');
    await store.upsert(k, { jti: 'a', n: 1 }, 600, {});
    expect(await redis.type(k)).toBe('string');
    expect(await redis.get(k)).toBe('|{"jti":"a","n":1}');
    expect(await redis.ttl(k)).toBeGreaterThan(595);
  });

  it('when a model is consumed, then the payload is not rewritten and the TTL is kept', async () => {
    const k = key('AuthorizationCode');
    await store.upsert(k, { code: 'c', n: 1 }, 600, {});
    const before = await redis.get(k);
    await store.consume(k, 1_750_000_000);
    expect(await redis.get(k)).toBe(`1750000000${before}`);
    expect(await redis.ttl(k)).toBeGreaterThan(595);
    expect(await store.find(k)).toEqual({ payload: { code: 'c', n: 1 }, consumed: 1_750_000_000 });
  });

  it('when a model is re-upserted after being consumed, then the consumed mark is cleared', async () => {
    const k = key('Session');
    await store.upsert(k, { v: 1 }, 600, {});
    await store.consume(k, 1_750_000_000);
    await store.upsert(k, { v: 2 }, 600, {});
    expect(await redis.get(k)).toBe('|{"v":2}');
    expect(await store.find(k)).toEqual({ payload: { v: 2 }, consumed: undefined });
  });

  describe('models written as hashes by the previous version (a rolling upgrade)', () => {
    it('when one is read, then its payload and consumed mark are found', async () => {
      const [fresh, consumed] = [key('Session'), key('AuthorizationCode')];
      await redis.multi().hset(fresh, 'payload', JSON.stringify({ v: 'old' })).expire(fresh, 600).exec();
      await redis.multi().hset(consumed, 'payload', JSON.stringify({ c: 'old' }), 'consumed', '1750000000').expire(consumed, 60).exec();
      expect(await store.find(fresh)).toEqual({ payload: { v: 'old' }, consumed: undefined });
      expect(await store.find(consumed)).toEqual({ payload: { c: 'old' }, consumed: 1_750_000_000 });
    });

    it('when one is consumed, then it is marked consumed; when one is rewritten, then it becomes a string', async () => {
      const k = key('RefreshToken');
      await redis.multi().hset(k, 'payload', JSON.stringify({ r: 1 })).expire(k, 600).exec();
      await store.consume(k, 1_750_000_001);
      expect(await store.find(k)).toEqual({ payload: { r: 1 }, consumed: 1_750_000_001 });
      expect(await redis.ttl(k)).toBeGreaterThan(595);
      await store.upsert(k, { r: 2 }, 600, {});
      expect(await redis.type(k)).toBe('string');
      expect(await store.find(k)).toEqual({ payload: { r: 2 }, consumed: undefined });
    });
  });

  it('when a key that does not exist (or has just expired) is consumed, then no key is left behind in Redis', async () => {
    const k = key('AuthorizationCode');
    await store.consume(k, 1_750_000_000);
    // A leftover hash here would have no TTL and never be cleaned up.
    expect(await redis.exists(k)).toBe(0);
  });

  it('when two stores share one Redis, then the second sees what the first wrote (any replica continues any login)', async () => {
    const other = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await other.connect();
    try {
      const k = key('Interaction');
      await store.upsert(k, { prompt: 'login' }, 600, {});
      expect((await createRedisOidcStore(other).find(k))?.payload).toEqual({ prompt: 'login' });
    } finally {
      other.disconnect();
    }
  });
});
