// Ten single-use recovery codes, shown once after registration. Codes are 50 random bits, so a
// keyed HMAC (key derived from KEY_ENCRYPTION_KEY) is the right digest: fast to check, useless to
// anyone who reads the table without the key.
import { createHmac, hkdfSync, randomInt } from 'node:crypto';
import type { Knex } from 'knex';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i

export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

export function normaliseRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export function createRecoveryCodesRepo(keyEncryptionKey: Buffer) {
  const key = Buffer.from(hkdfSync('sha256', keyEncryptionKey, Buffer.alloc(0), 'callrec-auth recovery codes', 32));
  const digest = (code: string) => createHmac('sha256', key).update(normaliseRecoveryCode(code)).digest('base64url');

  return {
    /** Replaces any earlier codes of the user with these. */
    async replace(db: Knex, userId: string, codes: string[]): Promise<void> {
      await db('mfa_recovery_codes').where({ user_id: userId }).delete();
      await db('mfa_recovery_codes').insert(codes.map((code) => ({ user_id: userId, code_digest: digest(code) })));
    },

    /** Marks the code used if it is one of the user's unused codes; atomic, so it works once. */
    async use(db: Knex, userId: string, code: string): Promise<boolean> {
      if (normaliseRecoveryCode(code).length !== 10) return false;
      const rows = await db('mfa_recovery_codes')
        .where({ user_id: userId, code_digest: digest(code) })
        .whereNull('used_at')
        .update({ used_at: db.fn.now() })
        .returning('id');
      return rows.length === 1;
    },

    async countUnused(db: Knex, userId: string): Promise<number> {
      const row = await db('mfa_recovery_codes').where({ user_id: userId }).whereNull('used_at').count<{ count: string | number }[]>('* as count').first();
      return Number(row?.count ?? 0);
    },

    async removeAll(db: Knex, userId: string): Promise<void> {
      await db('mfa_recovery_codes').where({ user_id: userId }).delete();
    },
  };
}

export type RecoveryCodesRepo = ReturnType<typeof createRecoveryCodesRepo>;
