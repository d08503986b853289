// "Reset MFA": the user's authenticator and recovery codes are removed, so the next login registers
// again; every session and refresh token of the user ends. Used by My MFA (self) and by company
// MFA managers (other users).
import type { Knex } from 'knex';
import type { AuthenticatorsRepo } from './authenticators-repo.js';
import type { RecoveryCodesRepo } from './recovery-codes.js';
import type { UsersRepo } from '../accounts/users-repo.js';
import type { AccountSessions } from '../oidc/account-sessions.js';
import { recordAuditEvent, type AuditActor } from '../audit/audit-log.js';

export interface ResetMfaDeps {
  db: Knex;
  users: UsersRepo;
  authenticators: AuthenticatorsRepo;
  recoveryCodes: RecoveryCodesRepo;
  accountSessions: AccountSessions;
}

export async function resetMfa(deps: ResetMfaDeps, input: { userId: string; actor: AuditActor; reason?: string | null }): Promise<{ hadAuthenticator: boolean }> {
  const result = await deps.db.transaction(async (trx) => {
    const user = await deps.users.findById(trx, input.userId);
    if (!user) throw new Error(`user ${input.userId} not found`);
    const hadAuthenticator = await deps.authenticators.remove(trx, user.id);
    await deps.recoveryCodes.removeAll(trx, user.id);
    await recordAuditEvent(trx, {
      type: 'mfa.reset',
      companyId: user.companyId,
      actor: input.actor,
      target: { type: 'user', id: user.id },
      reason: input.reason ?? null,
      details: { self: input.actor.type === 'USER' && input.actor.id === user.id, hadAuthenticator },
    });
    return { hadAuthenticator };
  });
  // Sessions live in Redis, outside the transaction: ended once the reset is committed.
  await deps.accountSessions.endAll(input.userId);
  return result;
}
