// The Users list of the guide through the admin API: case-insensitive search across the columns
// the table shows (wildcards taken literally), sort by any column either way, keyset cursor
// pagination that neither skips nor repeats under inserts, and usernames unique across companies.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { adminApi, toolingToken, type ApiResponse } from '../support/admin-client.js';
import { createCompany, uniqueName } from '../support/fixtures.js';

interface ApiUser { id: string; username: string; firstName: string; lastName: string; email: string; telephonyUsername: string | null }
const SORT_FIELDS = ['username', 'firstName', 'lastName', 'email', 'telephonyUsername'] as const;

/** Lower-case letters only, all the same length, so every collation orders them alike. */
function word(length = 6): string {
  return [...randomBytes(length)].map((b) => String.fromCharCode(97 + (b % 26))).join('');
}

describe('the Users list', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let api: ReturnType<typeof adminApi>;

  async function newUser(companyId: string, fields: Partial<Omit<ApiUser, 'id'>> = {}): Promise<ApiUser> {
    const username = fields.username ?? `u${word(8)}`;
    const res = await api.post(`/admin/v1/companies/${companyId}/users`, {
      username, firstName: word(), lastName: word(), email: `${word(8)}@example.com`, telephonyUsername: `t${word(7)}`, policy: 'GLOBAL', ...fields,
    });
    if (res.status !== 201) throw new Error(`create user: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as ApiUser;
  }

  async function listAll(companyId: string, query: string, limit: number, between?: (page: number) => Promise<void>): Promise<ApiUser[]> {
    const seen: ApiUser[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const res: ApiResponse = await api.get(`/admin/v1/companies/${companyId}/users?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(limit);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
      if (!cursor) return seen;
      await between?.(page);
    }
    throw new Error('pagination did not end');
  }

  const sortKey = (u: ApiUser, field: (typeof SORT_FIELDS)[number]) => (u[field] ?? '').toLowerCase();
  function expectedOrder(users: ApiUser[], field: (typeof SORT_FIELDS)[number], order: 'asc' | 'desc'): string[] {
    const sorted = [...users].sort((a, b) => (sortKey(a, field) < sortKey(b, field) ? -1 : sortKey(a, field) > sortKey(b, field) ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return (order === 'asc' ? sorted : sorted.reverse()).map((u) => u.id);
  }

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance();
    api = adminApi(instance, await toolingToken(env, instance, null));
  });
  afterAll(async () => env?.close());

  describe('search', () => {
    let companyId: string;
    let target: ApiUser;
    let percent: ApiUser;
    let underscore: ApiUser;
    let backslash: ApiUser;

    beforeAll(async () => {
      companyId = (await createCompany(env.db)).id;
      target = await newUser(companyId, { username: 'Harry15Dames', firstName: 'Harrison', lastName: 'Damesworth', email: 'cxqagamma@example.com', telephonyUsername: 'hdames@cxqanw26061.example.org' });
      percent = await newUser(companyId, { firstName: 'Fifty%Off' });
      underscore = await newUser(companyId, { lastName: 'Under_Score' });
      backslash = await newUser(companyId, { lastName: 'Back\\Slash' });
      for (let i = 0; i < 5; i++) await newUser(companyId);
      // Same text in another company is never found.
      await newUser((await createCompany(env.db)).id, { firstName: 'Harrison' });
    });

    it.each([
      ['username', 'harry15dames'],
      ['username (upper case)', 'HARRY15'],
      ['first name', 'hArRiSoN'],
      ['last name', 'DAMESWORTH'],
      ['email', 'CXQAGAMMA@EXAMPLE'],
      ['telephony username', 'CXQANW26061'],
      ['a part in the middle', 'ameswor'],
      ['padding spaces', '  harrison  '],
    ])('when searching by %s, then only that user is found', async (_what, search) => {
      const res = await api.get(`/admin/v1/companies/${companyId}/users?search=${encodeURIComponent(search)}`);
      expect(res.status).toBe(200);
      expect(res.body.items.map((u: ApiUser) => u.id)).toEqual([target.id]);
    });

    it.each([
      ['%', () => [percent.id]],
      ['_', () => [underscore.id]],
      ['\\', () => [backslash.id]],
      ['y%o', () => [percent.id]],
      ['r_s', () => [underscore.id]],
      ['%%', () => []],
      ['h_rrison', () => []],
    ])('when searching for "%s", then LIKE wildcards match only themselves', async (search, ids) => {
      const res = await api.get(`/admin/v1/companies/${companyId}/users?search=${encodeURIComponent(search)}`);
      expect(res.status).toBe(200);
      expect(res.body.items.map((u: ApiUser) => u.id).sort()).toEqual(ids().sort());
    });

    it('when the search matches nothing, then an empty page with no cursor', async () => {
      const res = await api.get(`/admin/v1/companies/${companyId}/users?search=nobody-at-all`);
      expect(res.body).toEqual({ items: [], nextCursor: null });
    });
  });

  describe('sort and pagination', () => {
    let companyId: string;
    let users: ApiUser[];

    beforeAll(async () => {
      companyId = (await createCompany(env.db)).id;
      users = [];
      const sharedLast = word();
      for (let i = 0; i < 30; i++) {
        // Some ties (same last name, no telephony username) to exercise the id tie-break.
        users.push(await newUser(companyId, { ...(i % 5 === 0 ? { lastName: sharedLast } : {}), ...(i % 7 === 0 ? { telephonyUsername: null } : {}) }));
      }
    });

    it.each(SORT_FIELDS.flatMap((field) => (['asc', 'desc'] as const).map((order) => [field, order] as const)))(
      'when sorted by %s %s, then the whole list comes back in that order',
      async (field, order) => {
        const res = await api.get(`/admin/v1/companies/${companyId}/users?sort=${field}&order=${order}&limit=100`);
        expect(res.status).toBe(200);
        expect(res.body.items.map((u: ApiUser) => u.id)).toEqual(expectedOrder(users, field, order));
        expect(res.body.nextCursor).toBeNull();
      },
    );

    it.each(SORT_FIELDS.flatMap((field) => (['asc', 'desc'] as const).map((order) => [field, order] as const)))(
      'when paging by 7 sorted by %s %s, then every user comes exactly once, in order',
      async (field, order) => {
        const seen = await listAll(companyId, `sort=${field}&order=${order}`, 7);
        expect(seen.map((u) => u.id)).toEqual(expectedOrder(users, field, order));
      },
    );

    it('when users are added between pages, then no existing user is skipped or repeated, and a user added ahead of the cursor shows up', async () => {
      const other = (await createCompany(env.db)).id;
      const mine: ApiUser[] = [];
      for (let i = 0; i < 30; i++) mine.push(await newUser(other, { lastName: `m${word(5)}` }));
      let early: ApiUser | undefined;
      let late: ApiUser | undefined;
      const seen = await listAll(other, 'sort=lastName&order=asc', 7, async (page) => {
        if (page === 1) {
          early = await newUser(other, { lastName: 'aaaaaa' }); // sorts before everything already paged
          late = await newUser(other, { lastName: 'zzzzzz' }); // sorts after everything
        }
      });
      const ids = seen.map((u) => u.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).not.toContain(early!.id);
      expect(ids).toEqual(expectedOrder([...mine, late!], 'lastName', 'asc'));
    });

    it('when the cursor is garbage, then 400 problem+json', async () => {
      for (const cursor of ['garbage', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1,2]').toString('base64url')]) {
        const res = await api.get(`/admin/v1/companies/${companyId}/users?cursor=${cursor}`);
        expect(res.status).toBe(400);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
    });

    it('when the cursor is well-formed but its id is not a UUID, then 400 and never a 5xx', async () => {
      const cursor = Buffer.from(JSON.stringify(['aaaaaa', 'not-a-uuid'])).toString('base64url');
      const res = await api.get(`/admin/v1/companies/${companyId}/users?cursor=${cursor}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it.each([
      ['sort by a column that is not shown', 'sort=passwordHash'],
      ['sort by a SQL expression', 'sort=lower(username)'],
      ['order sideways', 'order=sideways'],
      ['limit 0', 'limit=0'],
      ['limit 101', 'limit=101'],
      ['limit not a number', 'limit=ten'],
    ])('when the query asks to %s, then 400 naming the field', async (_what, query) => {
      const res = await api.get(`/admin/v1/companies/${companyId}/users?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toMatch(/^query\./);
    });
  });

  describe('unique usernames', () => {
    it('when a username exists in another company in another case, then creating it is 409 problem+json', async () => {
      const a = (await createCompany(env.db)).id;
      const b = (await createCompany(env.db)).id;
      const name = uniqueName('Dup.Name');
      await newUser(a, { username: name });
      for (const [company, username] of [[b, name.toLowerCase()], [a, name.toUpperCase()], [b, name]] as const) {
        const res = await api.post(`/admin/v1/companies/${company}/users`, { username, firstName: 'D', lastName: 'U', email: 'dup@example.com', policy: 'TEAM' });
        expect(res.status).toBe(409);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ status: 409, detail: expect.stringMatching(/unique across all companies/) });
      }
    });
  });
});
