// Reads what decideMfa needs about a user, in one place for the login step and the SSO check.
import type { Knex } from 'knex';
import type { User } from '../accounts/user.js';
import { findUserRecord } from '../accounts/user-search.js';
import type { MfaPolicy } from '../companies/company.js';

export interface UserMfaFacts {
  user: User;
  companyPolicy: MfaPolicy;
  optedIn: boolean;
  hasAuthenticator: boolean;
}

export interface MfaFactsDeps {
  db: Knex;
}

/** One query: the user with the company policy and whether an authenticator is registered. */
export async function loadMfaFacts(deps: MfaFactsDeps, userId: string): Promise<UserMfaFacts | undefined> {
  const record = await findUserRecord(deps.db, userId);
  if (!record) return undefined;
  return { user: record, companyPolicy: record.companyMfaPolicy, optedIn: record.mfaOptIn, hasAuthenticator: record.hasAuthenticator };
}
