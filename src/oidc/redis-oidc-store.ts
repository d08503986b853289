import type { Redis } from 'ioredis';
import type { OidcStore } from './oidc-store.js';

// Each model is a hash {payload, consumed?}: consuming a code or refresh token is one HSET and
// never rewrites (or loses) the payload or its TTL.
export function createRedisOidcStore(redis: Redis): OidcStore {
  return {
    async upsert(key, payload, expiresIn, { grantKey, pointers = [] }) {
      const multi = redis.multi().del(key).hset(key, 'payload', JSON.stringify(payload));
      if (expiresIn) multi.expire(key, expiresIn);
      if (grantKey) {
        multi.rpush(grantKey, key);
        // The grant list lives as long as its longest-lived token.
        if (expiresIn) multi.expire(grantKey, expiresIn, 'GT').expire(grantKey, expiresIn, 'NX');
      }
      for (const pointer of pointers) {
        if (expiresIn) multi.set(pointer, key, 'EX', expiresIn);
        else multi.set(pointer, key);
      }
      const results = await multi.exec();
      const failed = results?.find(([error]) => error);
      if (failed) throw failed[0];
    },
    async find(key) {
      const data = await redis.hgetall(key);
      if (!data.payload) return undefined;
      return { payload: JSON.parse(data.payload) as Record<string, unknown>, consumed: data.consumed ? Number(data.consumed) : undefined };
    },
    async resolvePointer(pointerKey) {
      return (await redis.get(pointerKey)) ?? undefined;
    },
    async consume(key, at) {
      await redis.hset(key, 'consumed', String(at));
    },
    async destroy(key) {
      await redis.del(key);
    },
    async revokeGrant(grantKey) {
      const keys = await redis.lrange(grantKey, 0, -1);
      await redis.del(...keys, grantKey);
    },
    async addToSet(setKey, member, expiresIn) {
      const multi = redis.multi().sadd(setKey, member);
      if (expiresIn) multi.expire(setKey, expiresIn, 'GT').expire(setKey, expiresIn, 'NX');
      else multi.persist(setKey);
      await multi.exec();
    },
    async setMembers(setKey) {
      return redis.smembers(setKey);
    },
  };
}
