// Failure counters that lock a key (a user, a username, a client IP) after too many failures in a
// window. Stored in Redis (shared by all replicas) through rate-limiter-flexible; in memory for the
// embedded default. A store error is thrown, never treated as "not locked": throttling fails closed.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';

export interface ThrottleLimits {
  maxFailures: number;
  windowSeconds: number;
  lockSeconds: number;
}

/** `failures`: what the window has counted so far, so a success with nothing counted can skip the reset. */
export type ThrottleState = { locked: false; failures: number } | { locked: true; retryAfterSeconds: number };

export interface Throttle {
  check(key: string): Promise<ThrottleState>;
  /** Counts a failure; `lockedNow` is true for the failure that started a lockout. */
  recordFailure(key: string): Promise<{ lockedNow: boolean }>;
  reset(key: string): Promise<void>;
}

export function createThrottle(options: { redis: Redis | undefined; keyPrefix: string; limits: ThrottleLimits }): Throttle {
  const { limits } = options;
  const limiterOptions = { keyPrefix: options.keyPrefix, points: limits.maxFailures, duration: limits.windowSeconds };
  const limiter: RateLimiterAbstract = options.redis
    ? new RateLimiterRedis({ ...limiterOptions, storeClient: options.redis, rejectIfRedisNotReady: true })
    : new RateLimiterMemory(limiterOptions);

  return {
    async check(key) {
      const res = await limiter.get(key);
      if (res && res.consumedPoints >= limits.maxFailures && res.msBeforeNext > 0) {
        return { locked: true, retryAfterSeconds: Math.ceil(res.msBeforeNext / 1000) };
      }
      return { locked: false, failures: res?.consumedPoints ?? 0 };
    },
    async recordFailure(key) {
      try {
        const res = await limiter.consume(key);
        if (res.remainingPoints > 0) return { lockedNow: false };
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return { lockedNow: false }; // already locked
      }
      await limiter.block(key, limits.lockSeconds);
      return { lockedNow: true };
    },
    async reset(key) {
      await limiter.delete(key);
    },
  };
}

/** "Too many attempts, try again in N minutes" — N rounded up, at least 1. */
export function minutesUntil(retryAfterSeconds: number): number {
  return Math.max(1, Math.ceil(retryAfterSeconds / 60));
}
