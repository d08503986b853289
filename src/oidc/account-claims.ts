// findAccount for oidc-provider: the claims the ID token and userinfo carry. An inactive or deleted
// user has no account, so existing sessions and refresh tokens stop working for them.
import type { Knex } from 'knex';
import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import { findUserRecord, type UserRecord } from '../accounts/user-search.js';

/** Scopes and the claims they release. acr, amr and auth_time ride with `openid`, always. */
export const CLAIMS_BY_SCOPE = {
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: ['preferred_username', 'given_name', 'family_name', 'name'],
  email: ['email'],
  callrec: ['company_id', 'company_name', 'user_policy', 'roles', 'telephony_username'],
};

export interface AccountClaimsDeps {
  db: Knex;
}

export function createFindAccount({ db }: AccountClaimsDeps) {
  // oidc-provider may ask for the same account several times while serving one request: one query
  // (user, company and roles together) per account per request.
  const perRequest = new WeakMap<object, Map<string, Promise<UserRecord | undefined>>>();
  const load = (ctx: KoaContextWithOIDC | undefined, sub: string) => {
    if (!ctx) return findUserRecord(db, sub);
    let cache = perRequest.get(ctx);
    if (!cache) perRequest.set(ctx, (cache = new Map()));
    let record = cache.get(sub);
    if (!record) cache.set(sub, (record = findUserRecord(db, sub)));
    return record;
  };

  return async function findAccount(ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
    const user = await load(ctx, sub);
    if (!user || user.status !== 'ACTIVE') return undefined;
    return {
      accountId: user.id,
      async claims() {
        return {
          sub: user.id,
          preferred_username: user.username,
          given_name: user.firstName,
          family_name: user.lastName,
          name: [user.firstName, user.lastName].filter(Boolean).join(' '),
          email: user.email,
          company_id: user.companyId,
          company_name: user.companyName,
          user_policy: user.policy,
          roles: user.roles,
          telephony_username: user.telephonyUsername ?? undefined,
        };
      },
    };
  };
}
