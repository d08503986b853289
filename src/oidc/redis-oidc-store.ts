import type { Redis } from 'ioredis';
import type { OidcStore } from './oidc-store.js';

// Extends a key's expiry to at least `ttl` seconds, never shortening it and never giving an expiry
// to a key that has none (a member without expiry keeps the whole set or list alive).
const EXTEND_TTL = `
local ttl = redis.call('TTL', KEYS[1])
if ttl == -2 or (ttl >= 0 and ttl < tonumber(ARGV[1])) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return ttl`;

// Marks a model consumed only if it still exists, so a code that just expired leaves nothing behind.
const CONSUME = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HSET', KEYS[1], 'consumed', ARGV[1]) end
return 0`;

async function execOrThrow(multi: ReturnType<Redis['multi']>): Promise<void> {
  const results = await multi.exec();
  const failed = results?.find(([error]) => error);
  if (failed) throw failed[0];
}

// Each model is a hash {payload, consumed?}: consuming a code or refresh token is one HSET and
// never rewrites (or loses) the payload or its TTL.
export function createRedisOidcStore(redis: Redis): OidcStore {
  return {
    async upsert(key, payload, expiresIn, { grantKey, pointers = [] }) {
      const multi = redis.multi().del(key).hset(key, 'payload', JSON.stringify(payload));
      if (expiresIn) multi.expire(key, expiresIn);
      if (grantKey) {
        // The grant list lives as long as its longest-lived token.
        const existed = await redis.exists(grantKey);
        multi.rpush(grantKey, key);
        if (!expiresIn) multi.persist(grantKey);
        else if (existed) multi.eval(EXTEND_TTL, 1, grantKey, expiresIn);
        else multi.expire(grantKey, expiresIn);
      }
      for (const pointer of pointers) {
        if (expiresIn) multi.set(pointer, key, 'EX', expiresIn);
        else multi.set(pointer, key);
      }
      await execOrThrow(multi);
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
      await redis.eval(CONSUME, 1, key, String(at));
    },
    async destroy(key) {
      await redis.del(key);
    },
    async revokeGrant(grantKey) {
      const keys = await redis.lrange(grantKey, 0, -1);
      await redis.del(...keys, grantKey);
    },
    async addToSet(setKey, member, expiresIn) {
      const existed = await redis.exists(setKey);
      const multi = redis.multi().sadd(setKey, member);
      if (!expiresIn) multi.persist(setKey);
      else if (existed) multi.eval(EXTEND_TTL, 1, setKey, expiresIn);
      else multi.expire(setKey, expiresIn);
      await execOrThrow(multi);
    },
    async setMembers(setKey) {
      return redis.smembers(setKey);
    },
  };
}
