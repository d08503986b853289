import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createMemoryOidcStore } from '../../src/oidc/memory-oidc-store.js';
import { describeOidcStoreContract, type OidcStoreHarness } from './oidc-store-contract.js';

const TEN_YEARS = 10 * 365 * 24 * 60 * 60;

/** A memory store on a clock the test moves. Each test gets its own store and clock. */
function memoryHarness(): OidcStoreHarness & { advance(seconds: number): void } {
  let clock = Date.UTC(2026, 0, 1);
  const advance = (seconds: number) => { clock += seconds * 1000; };
  const store = createMemoryOidcStore(() => clock);
  return {
    store,
    advance,
    key: (label) => `mem:${label}:${randomBytes(4).toString('hex')}`,
    async expectExpiresIn(_key, seconds, stillThere) {
      advance(seconds - 1);
      expect(await stillThere()).toBe(true);
      advance(1);
      expect(await stillThere()).toBe(false);
    },
    async expectNoExpiry(_key, stillThere) {
      advance(TEN_YEARS);
      expect(await stillThere()).toBe(true);
    },
  };
}

describeOidcStoreContract('memory store', memoryHarness);

describe('memory store: time', () => {
  it('when one token of a grant has expired, then revoking the grant still removes the longer-lived one', async () => {
    const { store, key, advance } = memoryHarness();
    const grant = key('grant');
    const code = key('AuthorizationCode');
    const refresh = key('RefreshToken');
    await store.upsert(code, { t: 'code' }, 60, { grantKey: grant });
    await store.upsert(refresh, { t: 'rt' }, 3600, { grantKey: grant });
    advance(120);
    expect(await store.find(code)).toBeUndefined();
    expect(await store.find(refresh)).toBeDefined();
    await store.revokeGrant(grant);
    expect(await store.find(refresh)).toBeUndefined();
  });

  it('when a shorter-lived token joins a grant later, then the grant list keeps the longer lifetime', async () => {
    const { store, key, advance } = memoryHarness();
    const grant = key('grant');
    const refresh = key('RefreshToken');
    const access = key('AccessToken');
    await store.upsert(refresh, { t: 'rt' }, 3600, { grantKey: grant });
    await store.upsert(access, { t: 'at' }, 60, { grantKey: grant });
    advance(600);
    await store.revokeGrant(grant);
    expect(await store.find(refresh)).toBeUndefined();
  });

  it('when a consumed model expires, then it is gone', async () => {
    const { store, key, advance } = memoryHarness();
    const k = key('AuthorizationCode');
    await store.upsert(k, { code: 'c' }, 60, {});
    await store.consume(k, 1);
    advance(60);
    expect(await store.find(k)).toBeUndefined();
  });

  it('when a model has expired, then consuming it does not bring it back', async () => {
    const { store, key, advance } = memoryHarness();
    const k = key('AuthorizationCode');
    await store.upsert(k, { code: 'c' }, 60, {});
    advance(61);
    await store.consume(k, 1);
    expect(await store.find(k)).toBeUndefined();
  });

  it('when two stores exist, then they share nothing', async () => {
    const a = memoryHarness();
    const b = memoryHarness();
    const k = a.key('Session');
    await a.store.upsert(k, { a: 1 }, 60, {});
    expect(await b.store.find(k)).toBeUndefined();
  });
});
