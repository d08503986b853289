// findAccount for oidc-provider: the claims the ID token and userinfo carry. An inactive or deleted
// user has no account, so existing sessions and refresh tokens stop working for them.
import type { Knex } from 'knex';
import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import type { UsersRepo } from '../accounts/users-repo.js';
import type { CompaniesRepo } from '../companies/companies-repo.js';

/** Scopes and the claims they release. acr, amr and auth_time ride with `openid`, always. */
export const CLAIMS_BY_SCOPE = {
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: ['preferred_username', 'given_name', 'family_name', 'name'],
  email: ['email'],
  callrec: ['company_id', 'company_name', 'user_policy', 'roles', 'telephony_username'],
};

export interface AccountClaimsDeps {
  db: Knex;
  users: UsersRepo;
  companies: CompaniesRepo;
}

export function createFindAccount({ db, users, companies }: AccountClaimsDeps) {
  return async function findAccount(_ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
    const user = await users.findById(db, sub);
    if (!user || user.status !== 'ACTIVE') return undefined;
    return {
      accountId: user.id,
      async claims() {
        const [company, roles] = await Promise.all([companies.findById(db, user.companyId), users.listRoles(db, user.id)]);
        return {
          sub: user.id,
          preferred_username: user.username,
          given_name: user.firstName,
          family_name: user.lastName,
          name: [user.firstName, user.lastName].filter(Boolean).join(' '),
          email: user.email,
          company_id: user.companyId,
          company_name: company?.name,
          user_policy: user.policy,
          roles,
          telephony_username: user.telephonyUsername ?? undefined,
        };
      },
    };
  };
}
