import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authenticatePassword } from '../../src/accounts/authenticate-password.js';
import { createPasswordHasher, type PasswordHasher } from '../../src/accounts/passwords.js';
import { createUsersRepo } from '../../src/accounts/users-repo.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { createCompany, createUser, uniqueName } from '../support/fixtures.js';

const users = createUsersRepo();
const PARAMS = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

describe('authenticatePassword', () => {
  let database: TestDatabase;
  let hasher: PasswordHasher;
  let companyId: string;
  const check = (username: string, password: string, withHasher = hasher) =>
    authenticatePassword({ db: database.db, users, hasher: withHasher }, username, password);
  const storedHash = async (id: string) => (await database.db('users').where({ id }).first()).password_hash as string | null;

  beforeAll(async () => {
    database = await createTestDatabase();
    hasher = await createPasswordHasher(PARAMS);
    companyId = (await createCompany(database.db)).id;
  });
  afterAll(async () => database?.drop());

  it('when the password is right, then the user is returned without the password hash', async () => {
    const user = await createUser(database.db, { companyId });
    const result = await check(user.username, user.password);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.user).toMatchObject({ id: user.id, companyId, username: user.username, status: 'ACTIVE' });
    expect(result.user).not.toHaveProperty('passwordHash');
    expect(JSON.stringify(result.user)).not.toContain('$argon2id$');
  });

  it('when the password is wrong, then the answer is no', async () => {
    const user = await createUser(database.db, { companyId });
    expect(await check(user.username, `${user.password}x`)).toEqual({ ok: false });
    expect(await check(user.username, user.password.toUpperCase())).toEqual({ ok: false });
  });

  it('when the username is unknown, then the answer is the same no', async () => {
    expect(await check(uniqueName('nobody'), 'some-password')).toEqual({ ok: false });
  });

  it('when the user is inactive, then even the right password gives no', async () => {
    const user = await createUser(database.db, { companyId, status: 'INACTIVE' });
    expect(await check(user.username, user.password)).toEqual({ ok: false });
  });

  it('when the user has no password hash yet, then the answer is no', async () => {
    const user = await users.insert(database.db, {
      companyId, username: uniqueName('nopw'), firstName: 'No', lastName: 'Password', email: 'nopw@example.com', policy: 'COMPANY', passwordHash: null,
    });
    expect(await check(user.username, 'anything-at-all')).toEqual({ ok: false });
    expect(await check(user.username, '')).toEqual({ ok: false });
  });

  it('when the username is typed in another case, then it still matches', async () => {
    const user = await createUser(database.db, { companyId, username: uniqueName('Alice.Smith-') });
    const result = await check(user.username.toUpperCase(), user.password);
    expect(result.ok && result.user.id).toBe(user.id);
    expect((await check(user.username.toLowerCase(), user.password)).ok).toBe(true);
  });

  it('when the username or the password is empty, then the answer is no', async () => {
    const user = await createUser(database.db, { companyId });
    expect(await check('', user.password)).toEqual({ ok: false });
    expect(await check(user.username, '')).toEqual({ ok: false });
  });

  it('when the password is longer than 128 code points, then it is refused even if it is the stored one', async () => {
    const tooLong = 'p'.repeat(129);
    const user = await createUser(database.db, { companyId, password: tooLong });
    expect(await check(user.username, tooLong)).toEqual({ ok: false });
  });

  it('when the password is 128 emoji (256 UTF-16 units), then it is within the limit and accepted', async () => {
    const emoji = '🔑'.repeat(128);
    const user = await createUser(database.db, { companyId, password: emoji });
    expect((await check(user.username, emoji)).ok).toBe(true);
  });

  it('when the password has accents, then only the exact spelling (not its NFD form) logs in', async () => {
    const password = 'pässwörd-ñ'.normalize('NFC');
    const user = await createUser(database.db, { companyId, password });
    expect((await check(user.username, password)).ok).toBe(true);
    expect((await check(user.username, password.normalize('NFD'))).ok).toBe(false);
  });

  it('when the stored hash has weaker parameters, then a successful login stores a stronger hash that still verifies', async () => {
    const stronger = await createPasswordHasher({ ...PARAMS, timeCost: 3 });
    const user = await createUser(database.db, { companyId });
    const before = await storedHash(user.id);
    expect(before).toMatch(/\$m=19456,t=2,p=1\$/);

    expect((await check(user.username, user.password, stronger)).ok).toBe(true);

    const after = await storedHash(user.id);
    expect(after).not.toBe(before);
    expect(after).toMatch(/^\$argon2id\$v=19\$m=19456,t=3,p=1\$/);
    expect(await stronger.verify(after!, user.password)).toEqual({ ok: true, needsRehash: false });
    expect((await check(user.username, user.password, stronger)).ok).toBe(true);
    expect(await storedHash(user.id)).toBe(after);
  });

  it('when the stored hash has weaker parameters but the password is wrong, then the stored hash is left alone', async () => {
    const stronger = await createPasswordHasher({ ...PARAMS, timeCost: 3 });
    const user = await createUser(database.db, { companyId });
    const before = await storedHash(user.id);
    expect(await check(user.username, 'wrong-password', stronger)).toEqual({ ok: false });
    expect(await storedHash(user.id)).toBe(before);
  });

  it('when the parameters are already current, then a login does not rewrite the hash', async () => {
    const user = await createUser(database.db, { companyId });
    const before = await storedHash(user.id);
    expect((await check(user.username, user.password)).ok).toBe(true);
    expect(await storedHash(user.id)).toBe(before);
  });

  it('when the stored hash is not a valid argon2id string, then the answer is no and nothing throws', async () => {
    const user = await createUser(database.db, { companyId });
    await database.db('users').where({ id: user.id }).update({ password_hash: 'plaintext-by-mistake' });
    expect(await check(user.username, 'plaintext-by-mistake')).toEqual({ ok: false });
  });
});
