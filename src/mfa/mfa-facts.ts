// Reads what decideMfa needs about a user, in one place for the login step and the SSO check.
import type { Knex } from 'knex';
import type { UsersRepo } from '../accounts/users-repo.js';
import type { CompaniesRepo } from '../companies/companies-repo.js';
import type { AuthenticatorsRepo } from './authenticators-repo.js';
import type { User } from '../accounts/user.js';
import type { MfaPolicy } from '../companies/company.js';

export interface UserMfaFacts {
  user: User;
  companyPolicy: MfaPolicy;
  optedIn: boolean;
  hasAuthenticator: boolean;
}

export interface MfaFactsDeps {
  db: Knex;
  users: UsersRepo;
  companies: CompaniesRepo;
  authenticators: AuthenticatorsRepo;
}

export async function loadMfaFacts(deps: MfaFactsDeps, userId: string): Promise<UserMfaFacts | undefined> {
  const user = await deps.users.findById(deps.db, userId);
  if (!user) return undefined;
  const [company, hasAuthenticator] = await Promise.all([
    deps.companies.findById(deps.db, user.companyId),
    deps.authenticators.exists(deps.db, user.id),
  ]);
  if (!company) return undefined;
  return { user, companyPolicy: company.mfaPolicy, optedIn: user.mfaOptIn, hasAuthenticator };
}
