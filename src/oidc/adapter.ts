// The oidc-provider adapter: the "Client" model is read from PostgreSQL (clients are managed
// through the admin API); every other model goes to the OidcStore (Redis or memory).
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Knex } from 'knex';
import type { OidcStore } from './oidc-store.js';
import type { ClientsRepo } from './clients-repo.js';

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'ClientCredentials']);

export function accountIndexKeys(prefix: string) {
  return {
    sessions: (accountId: string) => `${prefix}oidc:account:${accountId}:sessions`,
    grants: (accountId: string) => `${prefix}oidc:account:${accountId}:grants`,
  };
}

export interface AdapterDeps {
  store: OidcStore;
  prefix: string;
  db: Knex;
  clients: ClientsRepo;
  /**
   * How long a client read from PostgreSQL is reused (0 turns the cache off). Every token request
   * looks its client up; a few seconds of reuse removes that query and the secret decryption from
   * the hot path, and a deleted client or rotated secret takes effect on every replica within it.
   */
  clientCacheSeconds?: number;
  now?: () => number;
  /** Receives the function that drops a client from this replica's cache (after admin changes). */
  exposeInvalidate?: (invalidate: (clientId: string) => void) => void;
}

export function createAdapterClass({ store, prefix, db, clients, clientCacheSeconds = 0, now = Date.now, exposeInvalidate }: AdapterDeps): new (name: string) => Adapter {
  const clientCache = new Map<string, { metadata: AdapterPayload; expiresAt: number }>();
  exposeInvalidate?.((clientId) => clientCache.delete(clientId));
  const modelKey = (name: string, id: string) => `${prefix}oidc:${name}:${id}`;
  const grantKey = (id: string) => `${prefix}oidc:grant:${id}`;
  const uidKey = (uid: string) => `${prefix}oidc:sessionUid:${uid}`;
  const userCodeKey = (code: string) => `${prefix}oidc:userCode:${code}`;
  const keys = accountIndexKeys(prefix);

  class ClientAdapter implements Adapter {
    async find(id: string) {
      const cached = clientCache.get(id);
      if (cached && cached.expiresAt > now()) return cached.metadata;
      const metadata = (await clients.findProviderMetadata(db, id)) as AdapterPayload | undefined;
      if (metadata && clientCacheSeconds > 0) {
        if (clientCache.size > 10_000) clientCache.clear();
        clientCache.set(id, { metadata, expiresAt: now() + clientCacheSeconds * 1000 });
      } else {
        clientCache.delete(id);
      }
      return metadata;
    }
    async upsert(): Promise<void> { throw new Error('clients are managed through the admin API'); }
    async findByUserCode() { return undefined; }
    async findByUid() { return undefined; }
    async consume(): Promise<void> { /* clients are not consumable */ }
    async destroy(): Promise<void> { throw new Error('clients are managed through the admin API'); }
    async revokeByGrantId(): Promise<void> { /* clients have no grants */ }
  }

  class StoreAdapter implements Adapter {
    constructor(private readonly name: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      const pointers: string[] = [];
      if (typeof payload.uid === 'string' && this.name === 'Session') pointers.push(uidKey(payload.uid));
      if (typeof payload.userCode === 'string') pointers.push(userCodeKey(payload.userCode));
      await store.upsert(modelKey(this.name, id), payload as Record<string, unknown>, expiresIn, {
        grantKey: GRANTABLE.has(this.name) && typeof payload.grantId === 'string' ? grantKey(payload.grantId) : undefined,
        pointers,
      });
      // Index sessions and grants by account, so ending a user's sessions (MFA reset,
      // deactivation) can find them all.
      if (typeof payload.accountId === 'string' && (this.name === 'Session' || this.name === 'Grant')) {
        const setKey = this.name === 'Session' ? keys.sessions(payload.accountId) : keys.grants(payload.accountId);
        await store.addToSet(setKey, id, expiresIn);
      }
    }

    async find(id: string) {
      const found = await store.find(modelKey(this.name, id));
      if (!found) return undefined;
      return { ...found.payload, ...(found.consumed ? { consumed: found.consumed } : {}) } as AdapterPayload;
    }

    private async findByPointer(pointer: string) {
      const key = await store.resolvePointer(pointer);
      if (!key) return undefined;
      const found = await store.find(key);
      return found ? ({ ...found.payload, ...(found.consumed ? { consumed: found.consumed } : {}) } as AdapterPayload) : undefined;
    }

    findByUid(uid: string) { return this.findByPointer(uidKey(uid)); }
    findByUserCode(userCode: string) { return this.findByPointer(userCodeKey(userCode)); }
    async consume(id: string) { await store.consume(modelKey(this.name, id), Math.floor(Date.now() / 1000)); }
    async destroy(id: string) { await store.destroy(modelKey(this.name, id)); }
    async revokeByGrantId(grantId: string) { await store.revokeGrant(grantKey(grantId)); }
  }

  return class implements Adapter {
    private readonly impl: Adapter;
    constructor(name: string) {
      this.impl = name === 'Client' ? new ClientAdapter() : new StoreAdapter(name);
    }
    upsert(id: string, payload: AdapterPayload, expiresIn: number) { return this.impl.upsert(id, payload, expiresIn); }
    find(id: string) { return this.impl.find(id); }
    findByUserCode(userCode: string) { return this.impl.findByUserCode(userCode); }
    findByUid(uid: string) { return this.impl.findByUid(uid); }
    consume(id: string) { return this.impl.consume(id); }
    destroy(id: string) { return this.impl.destroy(id); }
    revokeByGrantId(grantId: string) { return this.impl.revokeByGrantId(grantId); }
  };
}
