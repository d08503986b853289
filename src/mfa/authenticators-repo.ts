// TOTP authenticators. The secret is sealed with KEY_ENCRYPTION_KEY, bound to the user's id.
import type { Knex } from 'knex';
import type { SecretBox } from '../crypto/secret-box.js';

interface AuthenticatorRow {
  user_id: string;
  company_id: string;
  secret_sealed: string;
  last_used_step: number | null;
  activated_at: Date;
}

export interface Authenticator {
  userId: string;
  secret: string;
  lastUsedStep: number | null;
  activatedAt: Date;
}

const context = (userId: string) => `totp-secret:${userId}`;

export function createAuthenticatorsRepo(box: SecretBox) {
  return {
    sealPendingSecret: (userId: string, secret: string) => box.seal(secret, `pending-${context(userId)}`),
    openPendingSecret: (userId: string, sealed: string) => box.open(sealed, `pending-${context(userId)}`).toString('utf8'),

    async find(db: Knex, userId: string): Promise<Authenticator | undefined> {
      const row = await db<AuthenticatorRow>('mfa_authenticators').where({ user_id: userId }).first();
      if (!row) return undefined;
      return { userId: row.user_id, secret: box.open(row.secret_sealed, context(row.user_id)).toString('utf8'), lastUsedStep: row.last_used_step, activatedAt: row.activated_at };
    },

    async exists(db: Knex, userId: string): Promise<boolean> {
      return Boolean(await db('mfa_authenticators').where({ user_id: userId }).first('user_id'));
    },

    /**
     * Activates a registration with the step its first code matched. Refuses (returns false) when
     * the user already has an authenticator: a second, concurrent registration must not replace it.
     */
    async activate(db: Knex, input: { userId: string; companyId: string; secret: string; step: number }): Promise<boolean> {
      const rows = await db('mfa_authenticators')
        .insert({ user_id: input.userId, company_id: input.companyId, secret_sealed: box.seal(input.secret, context(input.userId)), last_used_step: input.step })
        .onConflict('user_id')
        .ignore()
        .returning('user_id');
      return rows.length === 1;
    },

    /**
     * Records that `step` was used, atomically: succeeds only when it is greater than every step
     * accepted before, so the same code can never be accepted twice, even by racing replicas.
     */
    async claimStep(db: Knex, userId: string, step: number): Promise<boolean> {
      const rows = await db('mfa_authenticators')
        .where({ user_id: userId })
        .andWhere((q) => q.whereNull('last_used_step').orWhere('last_used_step', '<', step))
        .update({ last_used_step: step })
        .returning('user_id');
      return rows.length === 1;
    },

    async remove(db: Knex, userId: string): Promise<boolean> {
      return (await db('mfa_authenticators').where({ user_id: userId }).delete()) > 0;
    },
  };
}

export type AuthenticatorsRepo = ReturnType<typeof createAuthenticatorsRepo>;
