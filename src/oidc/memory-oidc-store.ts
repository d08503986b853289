import type { OidcStore, StoredModel } from './oidc-store.js';

interface Entry { value: StoredModel | string | string[] | Set<string>; expiresAt: number | undefined }

/** The embedded default's in-process store: one process, nothing shared, lost on restart. */
export function createMemoryOidcStore(now: () => number = Date.now): OidcStore {
  const entries = new Map<string, Entry>();
  const get = (key: string) => {
    const entry = entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry?.value;
  };
  const expiry = (seconds: number | undefined) => (seconds ? now() + seconds * 1000 : undefined);

  // Drop expired entries now and then so a long-running demo does not grow without bound.
  const sweep = setInterval(() => { for (const key of entries.keys()) get(key); }, 60_000);
  sweep.unref();

  return {
    async upsert(key, payload, expiresIn, { grantKey, pointers = [] }) {
      entries.set(key, { value: { payload: structuredClone(payload), consumed: undefined }, expiresAt: expiry(expiresIn) });
      if (grantKey) {
        const list = (get(grantKey) as string[] | undefined) ?? [];
        const current = entries.get(grantKey)?.expiresAt;
        const next = expiry(expiresIn);
        entries.set(grantKey, { value: [...list, key], expiresAt: current && next ? Math.max(current, next) : next });
      }
      for (const pointer of pointers) entries.set(pointer, { value: key, expiresAt: expiry(expiresIn) });
    },
    async find(key) {
      const value = get(key) as StoredModel | undefined;
      return value ? { payload: structuredClone(value.payload), consumed: value.consumed } : undefined;
    },
    async resolvePointer(pointerKey) {
      return get(pointerKey) as string | undefined;
    },
    async consume(key, at) {
      const value = get(key) as StoredModel | undefined;
      if (value) value.consumed = at;
    },
    async destroy(key) {
      entries.delete(key);
    },
    async revokeGrant(grantKey) {
      for (const key of (get(grantKey) as string[] | undefined) ?? []) entries.delete(key);
      entries.delete(grantKey);
    },
    async addToSet(setKey, member, expiresIn) {
      const set = (get(setKey) as Set<string> | undefined) ?? new Set<string>();
      set.add(member);
      const current = entries.get(setKey)?.expiresAt;
      const next = expiry(expiresIn);
      entries.set(setKey, { value: set, expiresAt: current === undefined && entries.has(setKey) ? undefined : current && next ? Math.max(current, next) : next });
    },
    async setMembers(setKey) {
      return [...((get(setKey) as Set<string> | undefined) ?? [])];
    },
  };
}
