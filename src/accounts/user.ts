export const USER_POLICIES = ['COMPANY', 'GLOBAL', 'STAFF', 'TEAM'] as const;
export type UserPolicy = (typeof USER_POLICIES)[number];

export const USER_STATUSES = ['ACTIVE', 'INACTIVE'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** Role ids and the product guide's names for them. */
export const ROLES = {
  MANAGE_OWN_MFA: 'Access to Manage Own MFA',
  MANAGE_COMPANY_MFA: 'Access to Manage Company MFA',
  MANAGE_USERS: 'Access to Manage Users',
} as const;
export type Role = keyof typeof ROLES;

export interface User {
  id: string;
  companyId: string;
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  telephonyUsername: string | null;
  policy: UserPolicy;
  status: UserStatus;
  /** Opted in to MFA (matters under the company policy AVAILABLE). */
  mfaOptIn: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What the login step needs: the user plus the password hash, which never leaves the accounts folder. */
export interface UserCredentials {
  user: User;
  passwordHash: string | null;
}
