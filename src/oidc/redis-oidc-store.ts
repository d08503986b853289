import type { Redis } from 'ioredis';
import type { OidcStore } from './oidc-store.js';

// Adds a member to a list or set index and extends the index's expiry to at least ARGV[2]
// seconds: never shortening it, and never giving an expiry to an index that has none (a member
// without expiry, ARGV[2] = '', keeps the whole index alive). One round trip, atomic.
const ADD_TO_INDEX = `
local existed = redis.call('EXISTS', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ARGV[3] == 'list' then redis.call('RPUSH', KEYS[1], ARGV[1]) else redis.call('SADD', KEYS[1], ARGV[1]) end
if ARGV[2] == '' then redis.call('PERSIST', KEYS[1])
elseif existed == 0 or (ttl >= 0 and ttl < tonumber(ARGV[2])) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1`;

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
      // The grant list lives as long as its longest-lived token.
      if (grantKey) multi.eval(ADD_TO_INDEX, 1, grantKey, key, expiresIn ? String(expiresIn) : '', 'list');
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
      await redis.eval(ADD_TO_INDEX, 1, setKey, member, expiresIn ? String(expiresIn) : '', 'set');
    },
    async setMembers(setKey) {
      return redis.smembers(setKey);
    },
  };
}
