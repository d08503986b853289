// Failure throttles, on Redis (what replicas share) and in memory (the embedded default): N failures
// lock a key for the lock time, a reset clears it, keys do not affect each other, and a Redis that
// cannot be reached makes the throttle fail closed (an error) instead of answering "not locked".
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createThrottle, minutesUntil, type Throttle, type ThrottleLimits } from '../../src/mfa/throttle.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const LIMITS: ThrottleLimits = { maxFailures: 5, windowSeconds: 15 * 60, lockSeconds: 30 * 60 };
const key = () => randomBytes(6).toString('hex');

async function fail(throttle: Throttle, k: string, times: number): Promise<boolean[]> {
  const lockedNow: boolean[] = [];
  for (let i = 0; i < times; i++) lockedNow.push((await throttle.recordFailure(k)).lockedNow);
  return lockedNow;
}

describe.each(['redis', 'memory'] as const)('throttle (%s)', (store) => {
  let redis: Redis | undefined;
  const prefix = `test:${randomBytes(6).toString('hex')}:throttle`;
  const make = (limits: ThrottleLimits = LIMITS, keyPrefix = prefix) => createThrottle({ redis, keyPrefix, limits });

  beforeAll(async () => {
    if (store === 'redis') {
      redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
    }
  });
  afterAll(async () => {
    if (!redis) return;
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('when a key has fewer failures than the limit, then it is not locked', async () => {
    const throttle = make();
    const k = key();
    expect(await throttle.check(k)).toEqual({ locked: false, failures: 0 });
    expect(await fail(throttle, k, LIMITS.maxFailures - 1)).toEqual([false, false, false, false]);
    expect(await throttle.check(k)).toEqual({ locked: false, failures: LIMITS.maxFailures - 1 });
  });

  it('when a key reaches the limit, then the last failure starts the lockout and retryAfter is about the lock time', async () => {
    const throttle = make();
    const k = key();
    expect(await fail(throttle, k, LIMITS.maxFailures)).toEqual([false, false, false, false, true]);
    const state = await throttle.check(k);
    expect(state.locked).toBe(true);
    if (!state.locked) return;
    expect(state.retryAfterSeconds).toBeLessThanOrEqual(LIMITS.lockSeconds);
    expect(state.retryAfterSeconds).toBeGreaterThan(LIMITS.lockSeconds - 10);
    expect(minutesUntil(state.retryAfterSeconds)).toBe(30);
  });

  it('when a locked key fails again, then it stays locked and no new lockout starts', async () => {
    const throttle = make();
    const k = key();
    await fail(throttle, k, LIMITS.maxFailures);
    expect(await fail(throttle, k, 3)).toEqual([false, false, false]);
    const state = await throttle.check(k);
    expect(state.locked).toBe(true);
    expect(state.locked && state.retryAfterSeconds).toBeGreaterThan(LIMITS.lockSeconds - 10);
  });

  it('when the lock time differs from the window, then retryAfter follows the lock time', async () => {
    const limits = { maxFailures: 2, windowSeconds: 60, lockSeconds: 2 * 60 * 60 };
    const throttle = make(limits);
    const k = key();
    await fail(throttle, k, 2);
    const state = await throttle.check(k);
    expect(state.locked).toBe(true);
    expect(state.locked && state.retryAfterSeconds).toBeGreaterThan(limits.lockSeconds - 10);
    expect(state.locked && state.retryAfterSeconds).toBeLessThanOrEqual(limits.lockSeconds);
  });

  it('when a locked key is reset, then it is unlocked and counts from zero again', async () => {
    const throttle = make();
    const k = key();
    await fail(throttle, k, LIMITS.maxFailures);
    await throttle.reset(k);
    expect(await throttle.check(k)).toEqual({ locked: false, failures: 0 });
    expect(await fail(throttle, k, LIMITS.maxFailures)).toEqual([false, false, false, false, true]);
  });

  it('when a key with some failures is reset, then the earlier failures no longer count', async () => {
    const throttle = make();
    const k = key();
    await fail(throttle, k, LIMITS.maxFailures - 1);
    await throttle.reset(k);
    expect(await fail(throttle, k, LIMITS.maxFailures - 1)).toEqual([false, false, false, false]);
    expect(await throttle.check(k)).toEqual({ locked: false, failures: LIMITS.maxFailures - 1 });
  });

  it('when one key is locked, then other keys are not affected', async () => {
    const throttle = make();
    const [locked, other] = [key(), key()];
    await fail(throttle, other, 2);
    await fail(throttle, locked, LIMITS.maxFailures);
    expect((await throttle.check(locked)).locked).toBe(true);
    expect(await throttle.check(other)).toEqual({ locked: false, failures: 2 });
    expect(await fail(throttle, other, 2)).toEqual([false, false]);
  });

  it('when two throttles use different prefixes, then the same key is counted separately', async () => {
    const passcode = make(LIMITS, `${prefix}:passcode`);
    const password = make(LIMITS, `${prefix}:password`);
    const k = key();
    await fail(passcode, k, LIMITS.maxFailures);
    expect((await passcode.check(k)).locked).toBe(true);
    expect(await password.check(k)).toEqual({ locked: false, failures: 0 });
  });

  it('when failures for one key are recorded concurrently, then exactly one of them starts the lockout', async () => {
    const throttle = make();
    const k = key();
    const results = await Promise.all(Array.from({ length: 12 }, () => throttle.recordFailure(k)));
    expect(results.filter((r) => r.lockedNow)).toHaveLength(1);
    expect((await throttle.check(k)).locked).toBe(true);
  });

  if (store === 'redis') {
    it('when a second throttle (another replica) uses the same Redis and prefix, then it sees the lockout', async () => {
      const replica = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await replica.connect();
      try {
        const k = key();
        await fail(make(), k, LIMITS.maxFailures);
        expect((await createThrottle({ redis: replica, keyPrefix: prefix, limits: LIMITS }).check(k)).locked).toBe(true);
      } finally {
        replica.disconnect();
      }
    });
  }
});

describe('throttle with an unreachable Redis', () => {
  let redis: Redis;
  let throttle: Throttle;

  beforeAll(() => {
    // Port 1 on loopback: nothing listens, every connection attempt is refused.
    // A short disconnectTimeout only so that closing the half-open socket does not hold Jest open.
    redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, disconnectTimeout: 10 });
    redis.on('error', () => undefined);
    throttle = createThrottle({ redis, keyPrefix: 'test:unreachable:throttle', limits: LIMITS });
  });
  afterAll(() => redis?.disconnect());

  /** Settles the promise and says how it ended and how long it took. */
  async function outcome<T>(promise: Promise<T>): Promise<{ rejected: boolean; value?: T; ms: number }> {
    const started = performance.now();
    try {
      const value = await promise;
      return { rejected: false, value, ms: performance.now() - started };
    } catch {
      return { rejected: true, ms: performance.now() - started };
    }
  }

  it('when check cannot reach Redis, then it rejects within 2 s instead of answering "not locked"', async () => {
    const result = await outcome(throttle.check(key()));
    expect(result.value).toBeUndefined();
    expect(result.rejected).toBe(true);
    expect(result.ms).toBeLessThan(2000);
  });

  it('when recordFailure cannot reach Redis, then it rejects within 2 s instead of counting nothing', async () => {
    const result = await outcome(throttle.recordFailure(key()));
    expect(result.value).toBeUndefined();
    expect(result.rejected).toBe(true);
    expect(result.ms).toBeLessThan(2000);
  });

  it('when Redis has been tried and is still unreachable, then check and recordFailure keep rejecting', async () => {
    await redis.connect().catch(() => undefined);
    for (let i = 0; i < 3; i++) {
      expect((await outcome(throttle.check(key()))).rejected).toBe(true);
      expect((await outcome(throttle.recordFailure(key()))).rejected).toBe(true);
    }
  });
});
