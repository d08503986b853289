// My MFA (self service): opt in or out under the company policy AVAILABLE. Under ENABLED nobody can
// opt out; under DISABLED there is nothing to opt into.
import type { Knex } from 'knex';
import { AppError } from '../errors.js';
import { recordAuditEvent } from '../audit/audit-log.js';
import type { UsersRepo } from '../accounts/users-repo.js';
import type { User } from '../accounts/user.js';
import type { MfaPolicy } from '../companies/company.js';
import { isMfaRequired, mfaStatusOf, type MfaStatus } from './decide-mfa.js';

export interface MyMfaView {
  companyPolicy: MfaPolicy;
  enabled: boolean;
  status: MfaStatus;
  canChange: boolean;
}

export function describeMyMfa(companyPolicy: MfaPolicy, user: User, hasAuthenticator: boolean): MyMfaView {
  return {
    companyPolicy,
    enabled: isMfaRequired(companyPolicy, user.mfaOptIn),
    status: mfaStatusOf(companyPolicy, user.mfaOptIn, hasAuthenticator),
    canChange: companyPolicy === 'AVAILABLE',
  };
}

export async function setMfaOptIn(deps: { db: Knex; users: UsersRepo }, user: User, companyPolicy: MfaPolicy, enabled: boolean): Promise<void> {
  if (companyPolicy === 'ENABLED' && !enabled) throw new AppError('mfa.cannot_opt_out', 409, 'Your company requires MFA for everyone: it cannot be switched off.');
  if (companyPolicy === 'DISABLED') throw new AppError('mfa.not_available', 409, 'MFA is disabled for your company.');
  if (companyPolicy === 'ENABLED') return; // enabling what is already required changes nothing
  await deps.db.transaction(async (trx) => {
    await deps.users.setMfaOptIn(trx, user.id, enabled);
    if (user.mfaOptIn !== enabled) {
      await recordAuditEvent(trx, { type: 'mfa.opt_in_changed', companyId: user.companyId, actor: { type: 'USER', id: user.id }, target: { type: 'user', id: user.id }, details: { enabled } });
    }
  });
}
