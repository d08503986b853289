import type { Knex } from 'knex';
import type { Role, User, UserCredentials, UserPolicy, UserStatus } from './user.js';

interface UserRow {
  id: string;
  company_id: string;
  username: string;
  first_name: string;
  last_name: string;
  email: string;
  telephony_username: string | null;
  policy: UserPolicy;
  status: UserStatus;
  password_hash: string | null;
  mfa_opt_in: boolean;
  created_at: Date;
  updated_at: Date;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    companyId: row.company_id,
    username: row.username,
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.email,
    telephonyUsername: row.telephony_username,
    policy: row.policy,
    status: row.status,
    mfaOptIn: row.mfa_opt_in,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface NewUser {
  companyId: string;
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  telephonyUsername?: string | null;
  policy: UserPolicy;
  status?: UserStatus;
  passwordHash?: string | null;
}

export interface UserPatch {
  firstName?: string;
  lastName?: string;
  email?: string;
  telephonyUsername?: string | null;
  policy?: UserPolicy;
  status?: UserStatus;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createUsersRepo() {
  return {
    async insert(db: Knex, input: NewUser): Promise<User> {
      const [row] = await db<UserRow>('users')
        .insert({
          company_id: input.companyId,
          username: input.username,
          first_name: input.firstName,
          last_name: input.lastName,
          email: input.email,
          telephony_username: input.telephonyUsername ?? null,
          policy: input.policy,
          status: input.status ?? 'ACTIVE',
          password_hash: input.passwordHash ?? null,
          password_changed_at: input.passwordHash ? db.fn.now() : null,
        } as Partial<UserRow>)
        .returning('*');
      return toUser(row as UserRow);
    },

    async findById(db: Knex, id: string): Promise<User | undefined> {
      if (!UUID.test(id)) return undefined;
      const row = await db<UserRow>('users').where({ id }).first();
      return row ? toUser(row) : undefined;
    },

    /** Usernames are matched case-insensitively (the unique index is on lower(username)). */
    async findCredentialsByUsername(db: Knex, username: string): Promise<UserCredentials | undefined> {
      const row = await db<UserRow>('users').whereRaw('lower(username) = lower(?)', [username]).first();
      return row ? { user: toUser(row), passwordHash: row.password_hash } : undefined;
    },

    async setPasswordHash(db: Knex, id: string, passwordHash: string): Promise<void> {
      await db('users').where({ id }).update({ password_hash: passwordHash, password_changed_at: db.fn.now() });
    },

    async setMfaOptIn(db: Knex, id: string, optIn: boolean): Promise<void> {
      await db('users').where({ id }).update({ mfa_opt_in: optIn, updated_at: db.fn.now() });
    },

    async update(db: Knex, id: string, patch: UserPatch): Promise<void> {
      const columns: Record<string, unknown> = {};
      if (patch.firstName !== undefined) columns.first_name = patch.firstName;
      if (patch.lastName !== undefined) columns.last_name = patch.lastName;
      if (patch.email !== undefined) columns.email = patch.email;
      if (patch.telephonyUsername !== undefined) columns.telephony_username = patch.telephonyUsername;
      if (patch.policy !== undefined) columns.policy = patch.policy;
      if (patch.status !== undefined) columns.status = patch.status;
      if (Object.keys(columns).length === 0) return;
      await db('users').where({ id }).update({ ...columns, updated_at: db.fn.now() });
    },

    async setRoles(db: Knex, user: Pick<User, 'id' | 'companyId'>, roles: Role[]): Promise<void> {
      await db('user_roles').where({ user_id: user.id }).delete();
      if (roles.length) await db('user_roles').insert(roles.map((role) => ({ user_id: user.id, company_id: user.companyId, role })));
    },

    async listRoles(db: Knex, userId: string): Promise<Role[]> {
      const rows = await db('user_roles').where({ user_id: userId }).orderBy('role').select<{ role: Role }[]>('role');
      return rows.map((r) => r.role);
    },

    async grantRoles(db: Knex, user: Pick<User, 'id' | 'companyId'>, roles: Role[]): Promise<void> {
      if (roles.length === 0) return;
      await db('user_roles')
        .insert(roles.map((role) => ({ user_id: user.id, company_id: user.companyId, role })))
        .onConflict(['user_id', 'role'])
        .ignore();
    },
  };
}

export type UsersRepo = ReturnType<typeof createUsersRepo>;
