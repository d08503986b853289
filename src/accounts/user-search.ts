// The Users list: search across the columns the guide's table shows, sort by any of them, and page
// with a stable keyset cursor (sort value, id), so pages never skip or repeat rows under inserts.
import type { Knex } from 'knex';
import type { Role, User, UserPolicy, UserStatus } from './user.js';
import type { MfaPolicy } from '../companies/company.js';

export const USER_SORT_FIELDS = ['username', 'firstName', 'lastName', 'email', 'telephonyUsername'] as const;
export type UserSortField = (typeof USER_SORT_FIELDS)[number];

/** Must stay identical to the trigram index expression (migration 20261204000004). */
const SEARCH_TEXT = "lower(u.username || ' ' || u.first_name || ' ' || u.last_name || ' ' || u.email || ' ' || coalesce(u.telephony_username, ''))";

const SORT_EXPRESSIONS: Record<UserSortField, string> = {
  username: 'lower(u.username)',
  firstName: 'lower(u.first_name)',
  lastName: 'lower(u.last_name)',
  email: 'lower(u.email)',
  telephonyUsername: "lower(coalesce(u.telephony_username, ''))",
};

/** A user with what the admin screens and the ID token show beside it, read in one query. */
export interface UserRecord extends User {
  roles: Role[];
  hasAuthenticator: boolean;
  companyMfaPolicy: MfaPolicy;
  companyName: string;
}

export interface UserSearch {
  companyId: string;
  search?: string;
  sort: UserSortField;
  order: 'asc' | 'desc';
  limit: number;
  cursor?: string;
}

interface Row {
  id: string; company_id: string; username: string; first_name: string; last_name: string; email: string;
  telephony_username: string | null; policy: UserPolicy; status: UserStatus; mfa_opt_in: boolean;
  created_at: Date; updated_at: Date; roles: Role[] | null; has_authenticator: boolean; company_mfa_policy: MfaPolicy; company_name: string; sort_value: string;
}

function toRecord(row: Row): UserRecord {
  return {
    id: row.id, companyId: row.company_id, username: row.username, firstName: row.first_name, lastName: row.last_name,
    email: row.email, telephonyUsername: row.telephony_username, policy: row.policy, status: row.status, mfaOptIn: row.mfa_opt_in,
    createdAt: row.created_at, updatedAt: row.updated_at, roles: row.roles ?? [], hasAuthenticator: row.has_authenticator,
    companyMfaPolicy: row.company_mfa_policy,
    companyName: row.company_name,
  };
}

function baseQuery(db: Knex, sortExpression = 'lower(u.username)') {
  return db('users as u')
    .join('companies as c', 'c.id', 'u.company_id')
    .select(
      'u.*',
      'c.mfa_policy as company_mfa_policy',
      'c.name as company_name',
      db.raw('(select array_agg(r.role order by r.role) from user_roles r where r.user_id = u.id) as roles'),
      db.raw('exists (select 1 from mfa_authenticators a where a.user_id = u.id) as has_authenticator'),
      db.raw(`${sortExpression} as sort_value`),
    );
}

/** Escapes LIKE wildcards so a search for "50%_off" matches those characters literally. */
export function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function encodeCursor(sortValue: string, id: string): string {
  return Buffer.from(JSON.stringify([sortValue, id])).toString('base64url');
}

export function decodeCursor(cursor: string): [string, string] | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    // The id half must be a UUID: it is compared with a uuid column.
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string') && UUID.test(value[1] as string)) return value as [string, string];
  } catch { /* invalid cursor */ }
  return undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findUserRecord(db: Knex, userId: string): Promise<UserRecord | undefined> {
  if (!UUID.test(userId)) return undefined;
  const row = (await baseQuery(db).where('u.id', userId).first()) as Row | undefined;
  return row ? toRecord(row) : undefined;
}

export async function searchUsers(db: Knex, q: UserSearch, after?: [string, string]): Promise<{ items: UserRecord[]; nextCursor: string | null }> {
  const sortExpression = SORT_EXPRESSIONS[q.sort];
  const query = baseQuery(db, sortExpression).where('u.company_id', q.companyId);
  const term = q.search?.trim();
  if (term) {
    // One "contains" match over all searchable columns, served by the trigram index.
    query.whereRaw(`${SEARCH_TEXT} like lower(?) escape '\\'`, [`%${escapeLike(term)}%`]);
  }
  if (after) {
    query.whereRaw(`(${sortExpression}, u.id) ${q.order === 'asc' ? '>' : '<'} (?, ?)`, after);
  }
  const rows = (await query.orderByRaw(`${sortExpression} ${q.order}, u.id ${q.order}`).limit(q.limit + 1)) as Row[];
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { items: page.map(toRecord), nextCursor: rows.length > q.limit && last ? encodeCursor(last.sort_value, last.id) : null };
}
