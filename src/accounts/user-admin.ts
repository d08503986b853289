// User use cases for the admin API: create, modify (deactivation ends every session), and role
// grants. Each change and its audit event share one transaction.
import type { Knex } from 'knex';
import { AppError, isUniqueViolation } from '../errors.js';
import { recordAuditEvent, type AuditActor } from '../audit/audit-log.js';
import type { UsersRepo, UserPatch } from './users-repo.js';
import type { PasswordHasher } from './passwords.js';
import { checkPasswordLength } from './passwords.js';
import type { AccountSessions } from '../oidc/account-sessions.js';
import type { Role, User, UserPolicy } from './user.js';

export interface UserAdminDeps {
  db: Knex;
  users: UsersRepo;
  hasher: PasswordHasher;
  accountSessions: AccountSessions;
}

export interface NewUserInput {
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  telephonyUsername?: string | null;
  policy: UserPolicy;
  password?: string;
}

function assertPassword(password: string): void {
  const problem = checkPasswordLength(password);
  if (problem) throw new AppError(`user.password_${problem}`, 400, 'A password must be 8 to 128 characters long.');
}

export async function createUser(deps: UserAdminDeps, actor: AuditActor, companyId: string, input: NewUserInput): Promise<User> {
  if (input.password !== undefined) assertPassword(input.password);
  const passwordHash = input.password !== undefined ? await deps.hasher.hash(input.password) : null;
  try {
    return await deps.db.transaction(async (trx) => {
      const user = await deps.users.insert(trx, { ...input, companyId, passwordHash });
      await recordAuditEvent(trx, { type: 'user.created', companyId, actor, target: { type: 'user', id: user.id }, details: { username: user.username, policy: user.policy, password: passwordHash ? 'set' : 'none' } });
      return user;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('user.username_taken', 409, 'That username is already taken (usernames are unique across all companies, ignoring case).');
    throw err;
  }
}

export async function updateUser(deps: UserAdminDeps, actor: AuditActor, user: User, patch: UserPatch): Promise<void> {
  if (patch.status === 'INACTIVE' && actor.type === 'USER' && actor.id === user.id) {
    throw new AppError('user.cannot_deactivate_self', 403, 'You cannot deactivate your own account.');
  }
  const changed = Object.entries(patch).filter(([key, value]) => value !== undefined && value !== (user as unknown as Record<string, unknown>)[key]).map(([key]) => key);
  const deactivated = patch.status === 'INACTIVE' && user.status !== 'INACTIVE';
  await deps.db.transaction(async (trx) => {
    await deps.users.update(trx, user.id, patch);
    if (changed.length) {
      await recordAuditEvent(trx, { type: deactivated ? 'user.deactivated' : 'user.updated', companyId: user.companyId, actor, target: { type: 'user', id: user.id }, details: { fields: changed } });
    }
  });
  if (deactivated) await deps.accountSessions.endAll(user.id);
}

export async function setUserRoles(deps: UserAdminDeps, actor: AuditActor, user: User, roles: Role[]): Promise<Role[]> {
  if (actor.type === 'USER' && actor.id === user.id) {
    throw new AppError('user.cannot_grant_self', 403, 'You cannot change your own roles.');
  }
  const wanted = [...new Set(roles)].sort();
  return deps.db.transaction(async (trx) => {
    const before = await deps.users.listRoles(trx, user.id);
    await deps.users.setRoles(trx, user, wanted);
    if (before.join() !== wanted.join()) {
      await recordAuditEvent(trx, { type: 'user.roles_changed', companyId: user.companyId, actor, target: { type: 'user', id: user.id }, details: { from: before, to: wanted } });
    }
    return wanted;
  });
}
