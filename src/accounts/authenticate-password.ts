// The password step. Unknown user, user without a password, wrong password and inactive user all
// take the same path through one argon2 verification and give the same answer.
import type { Knex } from 'knex';
import type { UsersRepo } from './users-repo.js';
import type { PasswordHasher } from './passwords.js';
import { PASSWORD_MAX_LENGTH } from './passwords.js';
import type { User } from './user.js';

export type PasswordCheck = { ok: true; user: User } | { ok: false };

export interface AuthenticatePasswordDeps {
  db: Knex;
  users: UsersRepo;
  hasher: PasswordHasher;
}

export async function authenticatePassword(
  { db, users, hasher }: AuthenticatePasswordDeps,
  username: string,
  password: string,
): Promise<PasswordCheck> {
  const plausible = username.length > 0 && username.length <= 254 && password.length > 0 && [...password].length <= PASSWORD_MAX_LENGTH;
  const credentials = plausible ? await users.findCredentialsByUsername(db, username) : undefined;
  if (!credentials?.passwordHash) {
    await hasher.verifyDummy(password.slice(0, PASSWORD_MAX_LENGTH * 4));
    return { ok: false };
  }
  const result = await hasher.verify(credentials.passwordHash, password);
  if (!result.ok || credentials.user.status !== 'ACTIVE') return { ok: false };
  if (result.needsRehash) await users.setPasswordHash(db, credentials.user.id, await hasher.hash(password));
  return { ok: true, user: credentials.user };
}
