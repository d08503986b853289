// Password resets by email: a single-use link valid 30 minutes. The answer to a request never says
// whether an account matched. Setting a new password changes nothing about MFA (the next login
// still asks for the passcode) and ends the user's sessions.
import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { AppError } from '../errors.js';
import { recordAuditEvent, type AuditActor } from '../audit/audit-log.js';
import type { UsersRepo } from './users-repo.js';
import type { PasswordHasher } from './passwords.js';
import { checkPasswordLength } from './passwords.js';
import type { User } from './user.js';
import type { Mailer } from '../mail/mailer.js';
import type { AccountSessions } from '../oidc/account-sessions.js';

export const RESET_LINK_TTL_SECONDS = 30 * 60;

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

export interface PasswordResetDeps {
  db: Knex;
  users: UsersRepo;
  hasher: PasswordHasher;
  mailer: Mailer;
  accountSessions: AccountSessions;
  issuer: string;
  now: () => Date;
}

export interface PasswordResets {
  /** "Forgotten login details?": a username or an email address; silent when nothing matches. */
  requestByLogin(identifier: string): Promise<void>;
  /** An administrator sends a reset link to a user. */
  requestForUser(user: User, actor: AuditActor): Promise<void>;
  /** The user behind a link that is still valid. */
  findUser(token: string): Promise<User | undefined>;
  complete(token: string, newPassword: string): Promise<void>;
}

export function createPasswordResets(deps: PasswordResetDeps): PasswordResets {
  async function issueAndSend(user: User, actor: AuditActor): Promise<void> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(deps.now().getTime() + RESET_LINK_TTL_SECONDS * 1000);
    await deps.db.transaction(async (trx) => {
      await trx('password_reset_tokens').insert({ user_id: user.id, token_digest: digest(token), expires_at: expiresAt });
      await recordAuditEvent(trx, { type: 'user.password_reset_requested', companyId: user.companyId, actor, target: { type: 'user', id: user.id } });
    });
    await deps.mailer.send({
      to: user.email,
      subject: 'Reset your Call Recording password',
      text: [
        `Hello ${user.firstName || user.username},`,
        '',
        `Someone asked to reset the password of the Call Recording account "${user.username}".`,
        'To choose a new password, open this link within 30 minutes (it works once):',
        '',
        `${deps.issuer}/reset-password?token=${token}`,
        '',
        'If you did not ask for this, ignore this email: your password stays as it is.',
      ].join('\n'),
    });
  }

  return {
    async requestByLogin(identifier) {
      const value = identifier.trim();
      if (!value || value.length > 254) return;
      const rows = await deps.db('users')
        .where('status', 'ACTIVE')
        .andWhere((q) => q.whereRaw('lower(username) = lower(?)', [value]).orWhereRaw("lower(email) = lower(?) and email <> ''", [value]))
        .limit(5)
        .pluck('id');
      for (const id of rows as string[]) {
        const user = await deps.users.findById(deps.db, id);
        if (user?.email) await issueAndSend(user, { type: 'USER', id: user.id });
      }
    },

    async requestForUser(user, actor) {
      if (!user.email) throw new AppError('user.no_email', 409, 'The user has no email address to send a reset link to.');
      await issueAndSend(user, actor);
    },

    async findUser(token) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
      const row = await deps.db('password_reset_tokens')
        .where({ token_digest: digest(token) })
        .whereNull('used_at')
        .where('expires_at', '>', deps.now())
        .first<{ user_id: string } | undefined>('user_id');
      const user = row ? await deps.users.findById(deps.db, row.user_id) : undefined;
      return user?.status === 'ACTIVE' ? user : undefined;
    },

    async complete(token, newPassword) {
      const problem = checkPasswordLength(newPassword);
      if (problem) throw new AppError(`user.password_${problem}`, 400, 'Your new password must be 8 to 128 characters long.');
      const user = await this.findUser(token);
      if (!user) throw new AppError('password_reset.invalid_link', 400, 'This link has expired or has already been used.');
      const passwordHash = await deps.hasher.hash(newPassword);
      await deps.db.transaction(async (trx) => {
        // Consume atomically: of two concurrent submissions only one gets the row.
        const consumed = await trx('password_reset_tokens')
          .where({ token_digest: digest(token) })
          .whereNull('used_at')
          .where('expires_at', '>', deps.now())
          .update({ used_at: trx.fn.now() })
          .returning('user_id');
        if (consumed.length !== 1) throw new AppError('password_reset.invalid_link', 400, 'This link has expired or has already been used.');
        await deps.users.setPasswordHash(trx, user.id, passwordHash);
        await trx('password_reset_tokens').where({ user_id: user.id }).whereNull('used_at').update({ used_at: trx.fn.now() });
        await recordAuditEvent(trx, { type: 'user.password_reset', companyId: user.companyId, actor: { type: 'USER', id: user.id }, target: { type: 'user', id: user.id } });
      });
      await deps.accountSessions.endAll(user.id);
    },
  };
}
