// The OidcStore contract, run against every implementation (memory here, Redis in
// test/integration). Only behaviour visible through the interface is checked here; how each
// implementation keeps time is supplied by the caller.
import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { OidcStore } from '../../src/oidc/oidc-store.js';

export interface OidcStoreHarness {
  store: OidcStore;
  /** A fresh key in this run's namespace. */
  key(label: string): string;
  /**
   * Asserts that `key` expires `seconds` after it was written, using `stillThere` to observe it.
   * The memory store moves its clock; Redis reads the key's TTL (no sleeping).
   */
  expectExpiresIn(key: string, seconds: number, stillThere: () => Promise<boolean>): Promise<void>;
  /** Asserts that `key` has no expiry. */
  expectNoExpiry(key: string, stillThere: () => Promise<boolean>): Promise<void>;
}

export function describeOidcStoreContract(name: string, harness: () => OidcStoreHarness): void {
  describe(`${name}: OidcStore contract`, () => {
    const random = () => randomBytes(4).toString('hex');

    it('when a model is upserted, then find returns its payload, not consumed', async () => {
      const { store, key } = harness();
      const k = key('AccessToken');
      const payload = { jti: random(), accountId: 'u-1', scope: 'openid profile', nested: { list: [1, 'two', null] }, exp: 1_900_000_000 };
      await store.upsert(k, payload, 60, {});
      expect(await store.find(k)).toEqual({ payload, consumed: undefined });
    });

    it('when a key was never written, then find returns undefined', async () => {
      const { store, key } = harness();
      expect(await store.find(key('missing'))).toBeUndefined();
    });

    it('when the caller changes the payload object after upsert, then the stored payload does not change', async () => {
      const { store, key } = harness();
      const k = key('Session');
      const payload: Record<string, unknown> = { accountId: 'u-1', list: ['a'] };
      await store.upsert(k, payload, 60, {});
      payload.accountId = 'u-2';
      (payload.list as string[]).push('b');
      expect((await store.find(k))?.payload).toEqual({ accountId: 'u-1', list: ['a'] });
    });

    it('when a found payload is changed by the caller, then the stored payload does not change', async () => {
      const { store, key } = harness();
      const k = key('Session');
      await store.upsert(k, { accountId: 'u-1' }, 60, {});
      const found = await store.find(k);
      found!.payload.accountId = 'mutated';
      expect((await store.find(k))?.payload).toEqual({ accountId: 'u-1' });
    });

    it('when a model is upserted again, then the new payload replaces the old one entirely', async () => {
      const { store, key } = harness();
      const k = key('Interaction');
      await store.upsert(k, { a: 1, b: 2 }, 60, {});
      await store.upsert(k, { a: 3 }, 60, {});
      expect(await store.find(k)).toEqual({ payload: { a: 3 }, consumed: undefined });
    });

    it('when a model is upserted with expiresIn, then it expires after that many seconds', async () => {
      const { store, key, expectExpiresIn } = harness();
      const k = key('AuthorizationCode');
      await store.upsert(k, { code: random() }, 600, {});
      await expectExpiresIn(k, 600, async () => (await store.find(k)) !== undefined);
    });

    it('when a model is upserted without expiresIn, then it does not expire', async () => {
      const { store, key, expectNoExpiry } = harness();
      const k = key('Grant');
      await store.upsert(k, { accountId: 'u-1' }, undefined, {});
      await expectNoExpiry(k, async () => (await store.find(k)) !== undefined);
    });

    it('when a model is consumed, then it is marked with the time and keeps its payload', async () => {
      const { store, key } = harness();
      const k = key('AuthorizationCode');
      const payload = { code: random(), grantId: 'g' };
      await store.upsert(k, payload, 600, {});
      await store.consume(k, 1_750_000_123);
      expect(await store.find(k)).toEqual({ payload, consumed: 1_750_000_123 });
    });

    it('when a model is consumed, then it keeps its expiry', async () => {
      const { store, key, expectExpiresIn } = harness();
      const k = key('RefreshToken');
      await store.upsert(k, { jti: random() }, 300, {});
      await store.consume(k, 1_750_000_000);
      await expectExpiresIn(k, 300, async () => (await store.find(k))?.consumed === 1_750_000_000);
    });

    it('when a key that does not exist is consumed, then find still returns undefined', async () => {
      const { store, key } = harness();
      const k = key('AuthorizationCode');
      await store.consume(k, 1_750_000_000);
      expect(await store.find(k)).toBeUndefined();
    });

    it('when a model is upserted with pointers, then each pointer resolves to the model key', async () => {
      const { store, key } = harness();
      const k = key('Session');
      const uidPointer = key('sessionUid');
      const codePointer = key('userCode');
      await store.upsert(k, { uid: 'x' }, 60, { pointers: [uidPointer, codePointer] });
      expect(await store.resolvePointer(uidPointer)).toBe(k);
      expect(await store.resolvePointer(codePointer)).toBe(k);
    });

    it('when a pointer was never written, then it resolves to undefined', async () => {
      const { store, key } = harness();
      expect(await store.resolvePointer(key('sessionUid'))).toBeUndefined();
    });

    it('when a model with a pointer has an expiry, then the pointer expires with it', async () => {
      const { store, key, expectExpiresIn } = harness();
      const k = key('Session');
      const pointer = key('sessionUid');
      await store.upsert(k, { uid: 'x' }, 900, { pointers: [pointer] });
      await expectExpiresIn(pointer, 900, async () => (await store.resolvePointer(pointer)) === k);
    });

    it('when a model with a pointer is upserted again under a new pointer, then the new pointer resolves', async () => {
      const { store, key } = harness();
      const k = key('Session');
      const first = key('sessionUid');
      const second = key('sessionUid');
      await store.upsert(k, { uid: 'first' }, 60, { pointers: [first] });
      await store.upsert(k, { uid: 'second' }, 60, { pointers: [second] });
      expect(await store.resolvePointer(second)).toBe(k);
      expect((await store.find(k))?.payload).toEqual({ uid: 'second' });
    });

    it('when a grant is revoked, then every token listed under it is deleted and nothing else', async () => {
      const { store, key } = harness();
      const grant = key('grant');
      const otherGrant = key('grant');
      const access = key('AccessToken');
      const refresh = key('RefreshToken');
      const code = key('AuthorizationCode');
      const otherAccess = key('AccessToken');
      const session = key('Session');
      await store.upsert(access, { t: 'at' }, 600, { grantKey: grant });
      await store.upsert(refresh, { t: 'rt' }, 3600, { grantKey: grant });
      await store.upsert(code, { t: 'code' }, 60, { grantKey: grant });
      await store.upsert(otherAccess, { t: 'other' }, 600, { grantKey: otherGrant });
      await store.upsert(session, { t: 'session' }, 600, {});

      await store.revokeGrant(grant);

      expect(await store.find(access)).toBeUndefined();
      expect(await store.find(refresh)).toBeUndefined();
      expect(await store.find(code)).toBeUndefined();
      expect((await store.find(otherAccess))?.payload).toEqual({ t: 'other' });
      expect((await store.find(session))?.payload).toEqual({ t: 'session' });
    });

    it('when a grant is revoked twice, then the second time is a no-op', async () => {
      const { store, key } = harness();
      const grant = key('grant');
      const access = key('AccessToken');
      await store.upsert(access, { t: 'at' }, 600, { grantKey: grant });
      await store.revokeGrant(grant);
      await expect(store.revokeGrant(grant)).resolves.toBeUndefined();
      expect(await store.find(access)).toBeUndefined();
    });

    it('when a token is written under a grant after the grant was revoked, then a later revocation removes it too', async () => {
      const { store, key } = harness();
      const grant = key('grant');
      const first = key('AccessToken');
      const second = key('AccessToken');
      await store.upsert(first, { n: 1 }, 600, { grantKey: grant });
      await store.revokeGrant(grant);
      await store.upsert(second, { n: 2 }, 600, { grantKey: grant });
      expect(await store.find(second)).toBeDefined();
      await store.revokeGrant(grant);
      expect(await store.find(second)).toBeUndefined();
    });

    it('when a grant that was never written is revoked, then nothing fails', async () => {
      const { store, key } = harness();
      await expect(store.revokeGrant(key('grant'))).resolves.toBeUndefined();
    });

    it('when a model is destroyed, then find returns undefined and other models stay', async () => {
      const { store, key } = harness();
      const k = key('Interaction');
      const other = key('Interaction');
      await store.upsert(k, { a: 1 }, 60, {});
      await store.upsert(other, { b: 2 }, 60, {});
      await store.destroy(k);
      expect(await store.find(k)).toBeUndefined();
      expect((await store.find(other))?.payload).toEqual({ b: 2 });
    });

    it('when members are added to a set, then setMembers lists each once', async () => {
      const { store, key } = harness();
      const set = key('account-sessions');
      await store.addToSet(set, 's1', 600);
      await store.addToSet(set, 's2', 600);
      await store.addToSet(set, 's1', 600);
      expect((await store.setMembers(set)).sort()).toEqual(['s1', 's2']);
    });

    it('when a set was never written, then it has no members', async () => {
      const { store, key } = harness();
      expect(await store.setMembers(key('account-sessions'))).toEqual([]);
    });

    it('when a set gets members of different lifetimes, then it lives as long as the longest-lived one', async () => {
      const { store, key, expectExpiresIn } = harness();
      const set = key('account-grants');
      await store.addToSet(set, 'long', 3600);
      await store.addToSet(set, 'short', 60);
      await expectExpiresIn(set, 3600, async () => (await store.setMembers(set)).includes('long'));
    });

    it('when a later member lives longer, then the set lifetime is extended to it', async () => {
      const { store, key, expectExpiresIn } = harness();
      const set = key('account-grants');
      await store.addToSet(set, 'short', 60);
      await store.addToSet(set, 'long', 3600);
      await expectExpiresIn(set, 3600, async () => (await store.setMembers(set)).includes('long'));
    });

    it('when a member without expiry is added, then the set does not expire', async () => {
      const { store, key, expectNoExpiry } = harness();
      const set = key('account-sessions');
      await store.addToSet(set, 'short', 60);
      await store.addToSet(set, 'forever', undefined);
      await expectNoExpiry(set, async () => (await store.setMembers(set)).includes('forever'));
    });

    it('when a member with an expiry joins a set that has a member without expiry, then the set still does not expire', async () => {
      const { store, key, expectNoExpiry } = harness();
      const set = key('account-sessions');
      await store.addToSet(set, 'forever', undefined);
      await store.addToSet(set, 'short', 60);
      await expectNoExpiry(set, async () => (await store.setMembers(set)).includes('forever'));
    });

    it('when a key that does not exist is destroyed, then nothing fails', async () => {
      const { store, key } = harness();
      await expect(store.destroy(key('missing'))).resolves.toBeUndefined();
    });
  });
}
