// Bad and hostile input at the admin API: malformed JSON, oversized bodies, wrong media types,
// unknown fields (no mass assignment), and property-based runs (fast-check) that throw random and
// hostile bodies, path segments, query strings and Authorization headers at every route.
// The answer is never a 5xx, and every error is application/problem+json.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { adminApi, toolingToken, userToken, type ApiResponse } from '../support/admin-client.js';
import { createCompany, createRelyingParty, createUser } from '../support/fixtures.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** Every route of the issue, with the principal that can reach it ('user' for the My MFA routes). */
const ROUTES: { method: Method; path: string; as: 'tooling' | 'user'; hasBody: boolean }[] = [
  { method: 'GET', path: '/admin/v1/roles', as: 'tooling', hasBody: false },
  { method: 'GET', path: '/admin/v1/companies', as: 'tooling', hasBody: false },
  { method: 'POST', path: '/admin/v1/companies', as: 'tooling', hasBody: true },
  { method: 'GET', path: '/admin/v1/companies/:companyId', as: 'tooling', hasBody: false },
  { method: 'PATCH', path: '/admin/v1/companies/:companyId', as: 'tooling', hasBody: true },
  { method: 'GET', path: '/admin/v1/companies/:companyId/mfa-policy', as: 'tooling', hasBody: false },
  { method: 'PUT', path: '/admin/v1/companies/:companyId/mfa-policy', as: 'tooling', hasBody: true },
  { method: 'GET', path: '/admin/v1/companies/:companyId/users', as: 'tooling', hasBody: false },
  { method: 'POST', path: '/admin/v1/companies/:companyId/users', as: 'tooling', hasBody: true },
  { method: 'GET', path: '/admin/v1/users/:userId', as: 'tooling', hasBody: false },
  { method: 'PATCH', path: '/admin/v1/users/:userId', as: 'tooling', hasBody: true },
  { method: 'GET', path: '/admin/v1/users/:userId/roles', as: 'tooling', hasBody: false },
  { method: 'PUT', path: '/admin/v1/users/:userId/roles', as: 'tooling', hasBody: true },
  { method: 'POST', path: '/admin/v1/users/:userId/mfa/reset', as: 'tooling', hasBody: true },
  { method: 'POST', path: '/admin/v1/users/:userId/password-reset', as: 'tooling', hasBody: true },
  { method: 'GET', path: '/admin/v1/me', as: 'user', hasBody: false },
  { method: 'GET', path: '/admin/v1/me/mfa', as: 'user', hasBody: false },
  { method: 'PUT', path: '/admin/v1/me/mfa', as: 'user', hasBody: true },
  { method: 'POST', path: '/admin/v1/me/mfa/reset', as: 'user', hasBody: true },
  { method: 'GET', path: '/admin/v1/clients', as: 'tooling', hasBody: false },
  { method: 'POST', path: '/admin/v1/clients', as: 'tooling', hasBody: true },
  { method: 'GET', path: '/admin/v1/clients/:clientId', as: 'tooling', hasBody: false },
  { method: 'DELETE', path: '/admin/v1/clients/:clientId', as: 'tooling', hasBody: false },
  { method: 'POST', path: '/admin/v1/clients/:clientId/secret', as: 'tooling', hasBody: true },
  { method: 'GET', path: '/admin/v1/audit-events', as: 'tooling', hasBody: false },
];
const WITH_PARAMS = ROUTES.filter((r) => r.path.includes(':'));
const WITH_BODY = ROUTES.filter((r) => r.hasBody);

/** Strings that have broken parsers, SQL and path handling before. */
const HOSTILE_STRINGS = ['', ' ', '\u0000', 'a\u0000b', '%00', '..', '../..', '%2e%2e', '%2F', '%', '%ZZ', '\\', "'; drop table users; --", '"', '\u202e', '😀', '\ud800', 'ü'.repeat(300), 'x'.repeat(5000), '{{7*7}}', '<script>'];

/** JSON text for an object whose keys may include __proto__ (JSON.stringify would drop or hide them). */
const objectText = (entries: [string, unknown][]) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;

const hostileKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'companyId', 'roles', 'mfaStatus', 'passwordHash', 'id', 'name', 'policy', 'enabled', 'confirm', 'username', 'status'), fc.string({ maxLength: 20 }));
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.constantFrom({ polluted: true }, { isAdmin: true, roles: ['MANAGE_USERS'] }, [null], -0, 1e308, Number.MAX_SAFE_INTEGER + 2),
);
const bodyText: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.array(fc.tuple(hostileKey, hostileValue), { maxLength: 8 }).map(objectText),
  fc.integer({ min: 1, max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1, max: 20_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.constantFrom('', '{', '{"name":', 'null', 'true', '"x"', '[]', '{"name":"\\ud800"}', '{"name":"a\\u0000b"}', '{"__proto__":{"policy":"ENABLED"}}', '\ufeff{}', '{"name":"x","name":"y"}'),
  fc.integer({ min: 50_000, max: 99_000 }).map((n) => JSON.stringify({ name: 'x'.repeat(n) })),
);
const segment = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 10 }), fc.uuid());
/** encodeURIComponent, except that a lone surrogate becomes the invalid UTF-8 it would be (%ED%A0%80). */
const encodeSegment = (value: string) => value.split(/([\ud800-\udfff])/).map((part) => (/^[\ud800-\udfff]$/.test(part) ? '%ED%A0%80' : encodeURIComponent(part))).join('');
/** Header values fetch can send (visible ASCII and spaces). */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 });

describe('admin API bad input', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let tooling: ReturnType<typeof adminApi>;
  let userApi: ReturnType<typeof adminApi>;
  let ids: Record<string, string>;

  function fill(path: string, override?: string): string {
    return path.replace(/:(\w+)/g, (_m, name: string) => override ?? ids[name]!);
  }

  function expectWellFormed(res: ApiResponse, context: string) {
    if (res.status >= 500) throw new Error(`${context} → ${res.status} ${JSON.stringify(res.body)}`);
    if (res.status >= 400) {
      expect(res.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: res.status, title: expect.any(String), type: expect.stringMatching(/^urn:callrec-auth:problem:/) });
      expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
    }
  }

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance();
    tooling = adminApi(instance, await toolingToken(env, instance, null));
    const company = await createCompany(env.db, { mfaPolicy: 'AVAILABLE' });
    const user = await createUser(env.db, { companyId: company.id });
    const me = await createUser(env.db, { companyId: company.id, roles: ['MANAGE_OWN_MFA', 'MANAGE_USERS'] });
    userApi = adminApi(instance, (await userToken(env, instance, me)).accessToken);
    const client = await createRelyingParty(env.db, env.keyEncryptionKey, { firstParty: false });
    ids = { companyId: company.id, userId: user.id, clientId: client.clientId };
  });
  afterAll(async () => env?.close());

  describe('errors', () => {
    it('when the JSON is malformed, then 400 problem+json', async () => {
      const res = await tooling.call('POST', '/admin/v1/companies', '{"name": "x",');
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: 'urn:callrec-auth:problem:bad_request', status: 400, detail: expect.stringMatching(/JSON/) });
    });

    it.each(['null', '[]', '"name"', '42', 'true'])('when the body is the JSON %s instead of an object, then 400', async (text) => {
      const res = await tooling.call('POST', '/admin/v1/companies', text);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it('when the body is just under 100 kB, then it is read (and validated)', async () => {
      const res = await tooling.call('POST', '/admin/v1/companies', JSON.stringify({ name: 'x'.repeat(99 * 1024) }));
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('body.name');
    });

    it.each([
      ['text/plain', '{"name":"x"}'],
      ['application/x-www-form-urlencoded', 'name=x'],
      ['multipart/form-data; boundary=x', '--x--'],
      ['application/xml', '<name>x</name>'],
    ])('when the content type is %s, then 415 problem+json', async (type, body) => {
      const res = await tooling.call('POST', '/admin/v1/companies', body, { 'content-type': type });
      expect(res.status).toBe(415);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it('when the body has unknown fields, then 400 naming every one of them', async () => {
      const res = await tooling.post('/admin/v1/companies', { name: 'Extra', colour: 'blue', size: 3 });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { message: string }) => e.message).join(' ')).toMatch(/colour.*size|size.*colour/);
    });

    it.each([
      ['companyId', () => ids.companyId],
      ['roles', () => ['MANAGE_USERS', 'MANAGE_COMPANY_MFA']],
      ['mfaStatus', () => 'ENABLED'],
      ['passwordHash', () => '$argon2id$v=19$m=19456,t=2,p=1$aaaa$bbbb'],
      ['id', () => randomUUID()],
      ['status', () => 'ACTIVE'],
    ])('when a new user is posted with %s, then 400 and no user is created (no mass assignment)', async (field, value) => {
      const username = `mass${Math.random().toString(36).slice(2, 10)}`;
      const res = await tooling.post(`/admin/v1/companies/${ids.companyId}/users`, { username, firstName: 'M', lastName: 'A', email: `${username}@example.com`, policy: 'COMPANY', [field]: value() });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.errors)).toContain(field);
      const list = await tooling.get(`/admin/v1/companies/${ids.companyId}/users?search=${username}`);
      expect(list.body.items).toEqual([]);
    });

    it.each(['companyId', 'roles', 'mfaStatus', 'passwordHash', 'username', 'id', 'mfaOptIn'])('when a user is patched with %s, then 400 and nothing changes', async (field) => {
      const before = await tooling.get(`/admin/v1/users/${ids.userId}`);
      const res = await tooling.patch(`/admin/v1/users/${ids.userId}`, { firstName: 'Changed', [field]: field === 'roles' ? ['MANAGE_USERS'] : 'x' });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.errors)).toContain(field);
      expect((await tooling.get(`/admin/v1/users/${ids.userId}`)).body).toEqual(before.body);
    });

    it('when My MFA is sent extra fields (mfaStatus, roles), then 400 and nothing changes', async () => {
      const before = await userApi.get('/admin/v1/me/mfa');
      const res = await userApi.put('/admin/v1/me/mfa', { enabled: true, mfaStatus: 'ENABLED', roles: ['MANAGE_COMPANY_MFA'] });
      expect(res.status).toBe(400);
      expect((await userApi.get('/admin/v1/me/mfa')).body).toEqual(before.body);
      expect((await userApi.get('/admin/v1/me')).body.roles).toEqual(['MANAGE_OWN_MFA', 'MANAGE_USERS']);
    });

    it('when a body carries __proto__, then it is refused and nothing is polluted', async () => {
      const res = await tooling.call('POST', '/admin/v1/companies', '{"name":"Proto","__proto__":{"mfaPolicy":"ENABLED","polluted":true}}');
      expect(res.status).toBeLessThan(500);
      if (res.status === 201) expect(res.body.mfaPolicy).toBe('DISABLED');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('when a string holds a NUL character, then 400 and never a 5xx', async () => {
      const company = await tooling.call('POST', '/admin/v1/companies', '{"name":"nul\\u0000name"}');
      expect(company.status).toBe(400);
      expect(company.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it('when a search holds a NUL character, then never a 5xx', async () => {
      const res = await tooling.get(`/admin/v1/companies/${ids.companyId}/users?search=a%00b`);
      expectWellFormed(res, 'search with NUL');
    });

    it('when a client id holds a NUL character, then never a 5xx', async () => {
      expectWellFormed(await tooling.get('/admin/v1/clients/a%00b'), 'client id with NUL');
    });

    it('when the companies cursor is well-formed but its id is not a UUID, then 400 and never a 5xx', async () => {
      const cursor = Buffer.from(JSON.stringify(['acme', 'not-a-uuid'])).toString('base64url');
      const res = await tooling.get(`/admin/v1/companies?cursor=${cursor}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it('when a route does not exist or the method is wrong, then 404 / 405 problem+json', async () => {
      const missing = await tooling.get('/admin/v1/nothing-here');
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const wrong = await tooling.call('DELETE', '/admin/v1/roles');
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it('when a path holds a broken percent-encoding, then never a 5xx', async () => {
      for (const path of ['/admin/v1/users/%ZZ', '/admin/v1/companies/%E0%A4%A', '/admin/v1/clients/%', '/admin/v1/users/%00/roles']) {
        expectWellFormed(await tooling.get(path), path);
      }
    });
  });

  describe('property-based', () => {
    const callRoute = (route: (typeof ROUTES)[number]) => (route.as === 'user' ? userApi : tooling);

    it.each(WITH_BODY.map((r) => [`${r.method} ${r.path}`, r] as const))('when hostile bodies are sent to %s, then never a 5xx and errors are problem+json', async (name, route) => {
      await fc.assert(
        fc.asyncProperty(bodyText, fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/merge-patch+json'), async (body, type) => {
          const res = await callRoute(route).call(route.method, fill(route.path), body, { 'content-type': type });
          expectWellFormed(res, `${name} ${type} ${body.slice(0, 200)}`);
        }),
        { numRuns: 20 },
      );
    });

    it.each(WITH_PARAMS.map((r) => [`${r.method} ${r.path}`, r] as const))('when hostile path segments are sent to %s, then never a 5xx and errors are problem+json', async (name, route) => {
      await fc.assert(
        fc.asyncProperty(segment, fc.boolean(), async (value, encode) => {
          const path = fill(route.path, encode ? encodeSegment(value) : value.replace(/[\s#?]/g, encodeSegment));
          let res: ApiResponse;
          try {
            res = await callRoute(route).call(route.method, path, route.hasBody ? {} : undefined);
          } catch (err) {
            if (err instanceof TypeError) return; // fetch itself refused to build the URL
            throw err;
          }
          expectWellFormed(res, `${name} ${path}`);
        }),
        { numRuns: 20 },
      );
    });

    it('when random query strings are sent to the list routes, then never a 5xx and errors are problem+json', async () => {
      const listRoutes = [`/admin/v1/companies/${ids.companyId}/users`, '/admin/v1/companies', '/admin/v1/clients', '/admin/v1/audit-events'];
      const key = fc.constantFrom('search', 'sort', 'order', 'limit', 'cursor', 'companyId', 'userId', 'type', '__proto__', 'search[]', 'limit[a]');
      const value = fc.oneof(segment, fc.constantFrom('username', 'desc', '1', '-1', '1e3', '100', 'NaN', Buffer.from('["a","b"]').toString('base64url'), Buffer.from('[1]').toString('base64url'), 'zzzzzzzzzzzzzzz', '-1', randomUUID()));
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...listRoutes), fc.array(fc.tuple(key, value), { maxLength: 5 }), async (path, pairs) => {
          const query = pairs.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`).join('&');
          expectWellFormed(await tooling.get(`${path}?${query}`), `${path}?${query}`);
        }),
        { numRuns: 50 },
      );
    });

    it('when random Authorization headers are sent to every route, then 401 with a Bearer challenge, never a 5xx', async () => {
      const authorization = fc.oneof(
        headerText,
        headerText.map((s) => `Bearer ${s}`),
        fc.base64String({ maxLength: 400 }).map((s) => `Bearer ${s}`),
        fc.tuple(fc.base64String({ maxLength: 60 }), fc.base64String({ maxLength: 200 }), fc.base64String({ maxLength: 90 })).map(([a, b, c]) => `Bearer ${a}.${b}.${c}`.replace(/=/g, '')),
        fc.constantFrom('Bearer', 'Bearer ', 'bearer x.y.z', 'Basic Og==', 'Bearer eyJhbGciOiJub25lIn0.e30.', `Bearer ${'a'.repeat(8000)}`),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...ROUTES), authorization, async (route, value) => {
          const res = await adminApi(instance).call(route.method, fill(route.path), route.hasBody ? {} : undefined, { authorization: value });
          expectWellFormed(res, `${route.method} ${route.path} with Authorization ${value.slice(0, 80)}`);
          expect(res.status).toBe(401);
          expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
        }),
        { numRuns: 50 },
      );
    });
  });

  // Last: a 413 leaves the rest of the request body unread, and the client's pooled connection may
  // be reset for the next request (a transport matter, not an answer of the API).
  describe('oversized bodies', () => {
    it('when the body is over 100 kB, then 413 problem+json (also without a Content-Length)', async () => {
      const big = JSON.stringify({ name: 'x'.repeat(101 * 1024) });
      const res = await tooling.call('POST', '/admin/v1/companies', big);
      expect(res.status).toBe(413);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const chunked = await fetch(`${instance.adminUrl}/admin/v1/companies`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await toolingToken(env, instance, null)}`, 'content-type': 'application/json' },
        body: new ReadableStream({ start(c) { for (let i = 0; i < 30; i++) c.enqueue(new TextEncoder().encode('x'.repeat(5000))); c.close(); } }),
        duplex: 'half',
      } as RequestInit);
      expect(chunked.status).toBe(413);
      expect(chunked.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });
  });
});
