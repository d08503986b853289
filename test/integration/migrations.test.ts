import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Knex } from 'knex';
import type { PGlite } from '@electric-sql/pglite';
import { connectPglite, openPglite } from '../../src/db/connection.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { migrations } from '../../migrations/index.js';
import { createUsersRepo } from '../../src/accounts/users-repo.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { createCompany, uniqueName } from '../support/fixtures.js';

const UNIQUE_VIOLATION = '23505';
const CHECK_VIOLATION = '23514';
const users = createUsersRepo();
const ALL_MIGRATIONS = migrations.map((m) => m.name);
// The foundation's tables; later migrations add more, so tests check these are among them.
const CORE_TABLES = ['audit_events', 'companies', 'oidc_clients', 'signing_keys', 'user_roles', 'users'];

function newUser(companyId: string, username: string) {
  return { companyId, username, firstName: 'A', lastName: 'B', email: `${username}@example.com`, policy: 'COMPANY' as const };
}

async function tablesOf(db: Knex): Promise<string[]> {
  const result = await db.raw<{ rows: { table_name: string }[] }>(
    "select table_name from information_schema.tables where table_schema = 'public' and table_name not like 'knex_%' order by table_name",
  );
  return result.rows.map((r) => r.table_name);
}

async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('migrations on PostgreSQL', () => {
  let database: TestDatabase;
  let companyA: string;
  let companyB: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    companyA = (await createCompany(database.db)).id;
    companyB = (await createCompany(database.db)).id;
  });
  afterAll(async () => database?.drop());

  it('when the database is migrated, then every table exists', async () => {
    expect(await tablesOf(database.db)).toEqual(expect.arrayContaining(CORE_TABLES));
  });

  it('when an already-migrated database is migrated again, then nothing is applied and nothing changes', async () => {
    const before = await database.db('knex_migrations').select('name').orderBy('id');
    expect(await migrateToLatest(database.db)).toEqual([]);
    expect(await database.db('knex_migrations').select('name').orderBy('id')).toEqual(before);
    expect(before.map((r: { name: string }) => r.name)).toEqual(ALL_MIGRATIONS);
  });

  it("when 'Alice' exists in company A and 'alice' is added in company B, then the unique index refuses it", async () => {
    const name = uniqueName('Alice');
    await users.insert(database.db, newUser(companyA, name));
    expect(await errorCode(users.insert(database.db, newUser(companyB, name.toLowerCase())))).toBe(UNIQUE_VIOLATION);
    expect(await errorCode(users.insert(database.db, newUser(companyA, name.toUpperCase())))).toBe(UNIQUE_VIOLATION);
  });

  it('when two different usernames are added, then both are accepted', async () => {
    await users.insert(database.db, newUser(companyA, uniqueName('bob')));
    await expect(users.insert(database.db, newUser(companyB, uniqueName('bob')))).resolves.toMatchObject({ companyId: companyB });
  });

  it('when a company has an unknown MFA policy, then the check constraint refuses it', async () => {
    expect(await errorCode(database.db('companies').insert({ name: uniqueName('C'), mfa_policy: 'SOMETIMES' }))).toBe(CHECK_VIOLATION);
    expect(await errorCode(database.db('companies').insert({ name: uniqueName('C'), mfa_policy: 'enabled' }))).toBe(CHECK_VIOLATION);
  });

  it('when a user has an unknown policy or status, then the check constraints refuse it', async () => {
    expect(await errorCode(database.db('users').insert({ company_id: companyA, username: uniqueName('u'), policy: 'ADMIN' }))).toBe(CHECK_VIOLATION);
    expect(await errorCode(database.db('users').insert({ company_id: companyA, username: uniqueName('u'), status: 'DELETED' }))).toBe(CHECK_VIOLATION);
  });

  it('when a role grant names an unknown role, then the check constraint refuses it', async () => {
    const user = await users.insert(database.db, newUser(companyA, uniqueName('roles')));
    expect(await errorCode(database.db('user_roles').insert({ user_id: user.id, company_id: companyA, role: 'SUPERUSER' }))).toBe(CHECK_VIOLATION);
    await expect(database.db('user_roles').insert({ user_id: user.id, company_id: companyA, role: 'MANAGE_USERS' })).resolves.toBeDefined();
  });

  it('when a client has an unknown kind, then the check constraint refuses it', async () => {
    expect(await errorCode(database.db('oidc_clients').insert({ client_id: uniqueName('c'), name: 'x', kind: 'OTHER', metadata: '{}' }))).toBe(CHECK_VIOLATION);
  });

  it('when a user points at a company that does not exist, then the foreign key refuses it', async () => {
    expect(await errorCode(users.insert(database.db, newUser('00000000-0000-4000-8000-000000000000', uniqueName('orphan'))))).toBe('23503');
  });

  it('when values are left out, then the defaults are the safe ones (policy DISABLED, status ACTIVE, no password)', async () => {
    const [company] = await database.db('companies').insert({ name: uniqueName('D') }).returning('*');
    expect(company.mfa_policy).toBe('DISABLED');
    const [user] = await database.db('users').insert({ company_id: company.id, username: uniqueName('d') }).returning('*');
    expect(user).toMatchObject({ status: 'ACTIVE', policy: 'COMPANY', password_hash: null });
  });
});

describe('migrations on PGlite (the embedded default)', () => {
  let pglite: PGlite;
  let db: Knex;
  let snapshot: Blob | File;
  let companyId: string;
  let aliceName: string;

  beforeAll(async () => {
    pglite = await openPglite(undefined);
    db = await connectPglite(pglite);
  });
  afterAll(async () => {
    await db?.destroy();
    if (pglite && !pglite.closed) await pglite.close();
  });

  it('when an empty in-memory PGlite is migrated, then every migration applies and every table exists', async () => {
    expect(await migrateToLatest(db)).toEqual(ALL_MIGRATIONS);
    expect(await tablesOf(db)).toEqual(expect.arrayContaining(CORE_TABLES));
  });

  it('when it is migrated again, then nothing is applied', async () => {
    expect(await migrateToLatest(db)).toEqual([]);
  });

  it('when usernames differ only in case, then PGlite refuses the second one too', async () => {
    companyId = (await createCompany(db)).id;
    const otherCompanyId = (await createCompany(db)).id;
    aliceName = uniqueName('Alice');
    await users.insert(db, newUser(companyId, aliceName));
    expect(await errorCode(users.insert(db, newUser(otherCompanyId, aliceName.toLowerCase())))).toBe(UNIQUE_VIOLATION);
  });

  it('when a check constraint is violated on PGlite, then it is refused', async () => {
    expect(await errorCode(db('companies').insert({ name: uniqueName('C'), mfa_policy: 'SOMETIMES' }))).toBe(CHECK_VIOLATION);
  });

  it('when a migrated PGlite is dumped and a new PGlite boots from the dump, then it is migrated and keeps the data', async () => {
    snapshot = await pglite.dumpDataDir();
    const copy = await openPglite(undefined, snapshot);
    const copyDb = await connectPglite(copy);
    try {
      expect(await migrateToLatest(copyDb)).toEqual([]);
      expect(await tablesOf(copyDb)).toEqual(await tablesOf(db));
      const found = await users.findCredentialsByUsername(copyDb, aliceName.toUpperCase());
      expect(found?.user.companyId).toBe(companyId);
      // The copy is independent: writes to it do not reach the original.
      await createCompany(copyDb, { name: 'Only in the copy' });
      expect(await db('companies').where({ name: 'Only in the copy' }).first()).toBeUndefined();
    } finally {
      await copyDb.destroy();
      if (!copy.closed) await copy.close();
    }
  });
});
