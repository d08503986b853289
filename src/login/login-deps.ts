// Everything the login steps need, built once by the composition root.
import type Provider from 'oidc-provider';
import type { Knex } from 'knex';
import type { Views } from '../http/views.js';
import type { Logger } from '../logger.js';
import type { UsersRepo } from '../accounts/users-repo.js';
import type { CompaniesRepo } from '../companies/companies-repo.js';
import type { PasswordHasher } from '../accounts/passwords.js';
import type { AuthenticatorsRepo } from '../mfa/authenticators-repo.js';
import type { RecoveryCodesRepo } from '../mfa/recovery-codes.js';
import type { Throttle } from '../mfa/throttle.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Csrf } from './csrf.js';
import type { Forms } from './forms.js';
import type { Metrics } from '../metrics/metrics.js';

export interface LoginDeps {
  provider: Provider;
  issuer: string;
  views: Views;
  csrf: Csrf;
  forms: Forms;
  db: Knex;
  users: UsersRepo;
  companies: CompaniesRepo;
  hasher: PasswordHasher;
  authenticators: AuthenticatorsRepo;
  recoveryCodes: RecoveryCodesRepo;
  box: SecretBox;
  throttles: { passcode: Throttle; password: Throttle; ip: Throttle };
  mfaIssuer: string;
  now: () => Date;
  logger: Logger;
  metrics: Metrics;
}
