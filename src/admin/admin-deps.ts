// What the admin routes need, built once by the composition root.
import type { Knex } from 'knex';
import type { UsersRepo } from '../accounts/users-repo.js';
import type { CompaniesRepo } from '../companies/companies-repo.js';
import type { AuthenticatorsRepo } from '../mfa/authenticators-repo.js';
import type { RecoveryCodesRepo } from '../mfa/recovery-codes.js';
import type { ClientsRepo } from '../oidc/clients-repo.js';
import type { PasswordHasher } from '../accounts/passwords.js';
import type { AccountSessions } from '../oidc/account-sessions.js';
import type { PasswordResets } from '../accounts/password-reset.js';

export interface AdminDeps {
  db: Knex;
  users: UsersRepo;
  companies: CompaniesRepo;
  authenticators: AuthenticatorsRepo;
  recoveryCodes: RecoveryCodesRepo;
  clients: ClientsRepo;
  hasher: PasswordHasher;
  accountSessions: AccountSessions;
  passwordResets: PasswordResets;
  now: () => Date;
  /** Drops a client from this replica's cache after it changes (others follow within seconds). */
  invalidateClient: (clientId: string) => void;
}
