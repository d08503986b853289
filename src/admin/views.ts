// Domain objects to the admin API's JSON shapes (schemas.ts). Nothing secret is ever mapped.
import type { Company } from '../companies/company.js';
import type { UserRecord } from '../accounts/user-search.js';
import type { ClientRecord } from '../oidc/clients-repo.js';
import { mfaStatusOf } from '../mfa/decide-mfa.js';

export function companyView(c: Company) {
  return { id: c.id, name: c.name, mfaPolicy: c.mfaPolicy, createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString() };
}

export function userView(u: UserRecord) {
  return {
    id: u.id,
    companyId: u.companyId,
    username: u.username,
    firstName: u.firstName,
    lastName: u.lastName,
    email: u.email,
    telephonyUsername: u.telephonyUsername,
    policy: u.policy,
    status: u.status,
    mfaStatus: mfaStatusOf(u.companyMfaPolicy, u.mfaOptIn, u.hasAuthenticator),
    roles: u.roles,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

export function clientView(c: ClientRecord) {
  return { ...c, createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString() };
}
