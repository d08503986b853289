// The authorization matrix of the admin API: every route × every kind of principal × the caller's
// own company (A) and another company (B). Tokens are real: client credentials for tooling, a real
// login through the pages for users. Expected answers come from the issue: another company's data
// is 404 (never revealed), a missing role is 403, global-only routes are 403 for everyone else.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { adminApi, toolingToken, userToken, type ApiResponse } from '../support/admin-client.js';
import { createCompany, createRelyingParty, createUser, uniqueName } from '../support/fixtures.js';
import type { Role } from '../../src/accounts/user.js';

type PrincipalName = 'global tooling client' | 'tooling client of A' | 'MANAGE_USERS user of A' | 'MANAGE_COMPANY_MFA user of A' | 'MANAGE_OWN_MFA user of A' | 'user of A without roles';
type Target = 'A' | 'B' | '-';

const PRINCIPALS: PrincipalName[] = ['global tooling client', 'tooling client of A', 'MANAGE_USERS user of A', 'MANAGE_COMPANY_MFA user of A', 'MANAGE_OWN_MFA user of A', 'user of A without roles'];
const ROLE_OF: Partial<Record<PrincipalName, Role>> = {
  'MANAGE_USERS user of A': 'MANAGE_USERS',
  'MANAGE_COMPANY_MFA user of A': 'MANAGE_COMPANY_MFA',
  'MANAGE_OWN_MFA user of A': 'MANAGE_OWN_MFA',
};
const isUser = (p: PrincipalName) => p !== 'global tooling client' && p !== 'tooling client of A';

interface World {
  companies: Record<'A' | 'B', string>;
  users: Record<'A' | 'B', string>;
  newClientId(): Promise<string>;
}

interface Endpoint {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  targeted: boolean;
  path(world: World, target: Target): Promise<string> | string;
  body?: () => unknown;
  expected(principal: PrincipalName, target: Target): number;
}

/** Company data: global everywhere; a company-bound client in its company; users in their company with one of `roles` (none: any user). */
const companyRule = (ok: number, roles: Role[] | 'tooling only') => (p: PrincipalName, t: Target): number => {
  if (p === 'global tooling client') return ok;
  if (t === 'B') return 404;
  if (p === 'tooling client of A') return ok;
  if (roles === 'tooling only') return 403;
  return roles.length === 0 || roles.includes(ROLE_OF[p]!) ? ok : 403;
};
const globalOnly = (ok: number) => (p: PrincipalName): number => (p === 'global tooling client' ? ok : 403);
const usersOnly = (ok: number, role?: Role) => (p: PrincipalName): number => (!isUser(p) ? 403 : !role || ROLE_OF[p] === role ? ok : 403);
// The code lets MANAGE_COMPANY_MFA read users too (the guide resets MFA from the Users list).
const READ_USERS: Role[] = ['MANAGE_USERS', 'MANAGE_COMPANY_MFA'];
const companyPath = (suffix = '') => (w: World, t: Target) => `/admin/v1/companies/${w.companies[t as 'A']}${suffix}`;
const userPath = (suffix = '') => (w: World, t: Target) => `/admin/v1/users/${w.users[t as 'A']}${suffix}`;

const ENDPOINTS: Endpoint[] = [
  { name: 'list roles', method: 'GET', targeted: false, path: () => '/admin/v1/roles', expected: () => 200 },
  { name: 'list companies', method: 'GET', targeted: false, path: () => '/admin/v1/companies', expected: globalOnly(200) },
  { name: 'create a company', method: 'POST', targeted: false, path: () => '/admin/v1/companies', body: () => ({ name: uniqueName('Matrix ') }), expected: globalOnly(201) },
  { name: 'read a company', method: 'GET', targeted: true, path: companyPath(), expected: companyRule(200, []) },
  { name: 'rename a company', method: 'PATCH', targeted: true, path: companyPath(), body: () => ({ name: uniqueName('Renamed ') }), expected: companyRule(200, 'tooling only') },
  { name: 'read the MFA policy', method: 'GET', targeted: true, path: companyPath('/mfa-policy'), expected: companyRule(200, ['MANAGE_COMPANY_MFA']) },
  { name: 'set the MFA policy', method: 'PUT', targeted: true, path: companyPath('/mfa-policy'), body: () => ({ policy: 'AVAILABLE' }), expected: companyRule(200, ['MANAGE_COMPANY_MFA']) },
  { name: 'list users', method: 'GET', targeted: true, path: companyPath('/users'), expected: companyRule(200, READ_USERS) },
  {
    name: 'create a user', method: 'POST', targeted: true, path: companyPath('/users'),
    body: () => { const username = uniqueName('matrix'); return { username, firstName: 'Mat', lastName: 'Rix', email: `${username}@example.com`, policy: 'COMPANY' }; },
    expected: companyRule(201, ['MANAGE_USERS']),
  },
  { name: 'read a user', method: 'GET', targeted: true, path: userPath(), expected: companyRule(200, READ_USERS) },
  { name: 'modify a user', method: 'PATCH', targeted: true, path: userPath(), body: () => ({ firstName: uniqueName('First') }), expected: companyRule(200, ['MANAGE_USERS']) },
  { name: "read a user's roles", method: 'GET', targeted: true, path: userPath('/roles'), expected: companyRule(200, READ_USERS) },
  { name: "replace a user's roles", method: 'PUT', targeted: true, path: userPath('/roles'), body: () => ({ roles: [] }), expected: companyRule(200, ['MANAGE_USERS']) },
  { name: "reset a user's MFA", method: 'POST', targeted: true, path: userPath('/mfa/reset'), body: () => ({ reason: 'matrix' }), expected: companyRule(200, ['MANAGE_COMPANY_MFA']) },
  { name: 'send a password reset', method: 'POST', targeted: true, path: userPath('/password-reset'), body: () => ({}), expected: companyRule(202, ['MANAGE_USERS']) },
  { name: 'read me', method: 'GET', targeted: false, path: () => '/admin/v1/me', expected: usersOnly(200) },
  { name: 'read my MFA', method: 'GET', targeted: false, path: () => '/admin/v1/me/mfa', expected: usersOnly(200, 'MANAGE_OWN_MFA') },
  { name: 'set my MFA', method: 'PUT', targeted: false, path: () => '/admin/v1/me/mfa', body: () => ({ enabled: false }), expected: usersOnly(200, 'MANAGE_OWN_MFA') },
  { name: 'reset my MFA', method: 'POST', targeted: false, path: () => '/admin/v1/me/mfa/reset', body: () => ({}), expected: usersOnly(200, 'MANAGE_OWN_MFA') },
  { name: 'list clients', method: 'GET', targeted: false, path: () => '/admin/v1/clients', expected: globalOnly(200) },
  {
    name: 'register a client', method: 'POST', targeted: false, path: () => '/admin/v1/clients',
    body: () => ({ name: uniqueName('Matrix app '), redirectUris: ['https://app.example.com/cb'] }), expected: globalOnly(201),
  },
  { name: 'read a client', method: 'GET', targeted: false, path: async (w) => `/admin/v1/clients/${await w.newClientId()}`, expected: globalOnly(200) },
  { name: 'delete a client', method: 'DELETE', targeted: false, path: async (w) => `/admin/v1/clients/${await w.newClientId()}`, expected: globalOnly(204) },
  { name: "rotate a client's secret", method: 'POST', targeted: false, path: async (w) => `/admin/v1/clients/${await w.newClientId()}/secret`, body: () => ({}), expected: globalOnly(200) },
  {
    name: 'list audit events', method: 'GET', targeted: true, path: (w, t) => `/admin/v1/audit-events?companyId=${w.companies[t as 'A']}`,
    expected: (p, t) => (p === 'global tooling client' ? 200 : t === 'B' ? 404 : companyRule(200, READ_USERS)(p, t)),
  },
];

const CELLS = ENDPOINTS.flatMap((endpoint) =>
  PRINCIPALS.flatMap((principal) => (endpoint.targeted ? (['A', 'B'] as const) : (['-'] as const)).map((target) => ({
    endpoint, principal, target, status: endpoint.expected(principal, target),
  }))),
);

describe('admin API authorization matrix', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  const tokens = {} as Record<PrincipalName, string>;
  const userIds = {} as Record<PrincipalName, string>;
  let world: World;

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance();
    const a = await createCompany(env.db, { name: uniqueName('A '), mfaPolicy: 'AVAILABLE' });
    const b = await createCompany(env.db, { name: uniqueName('B '), mfaPolicy: 'AVAILABLE' });
    const userA = await createUser(env.db, { companyId: a.id });
    const userB = await createUser(env.db, { companyId: b.id });
    world = {
      companies: { A: a.id, B: b.id },
      users: { A: userA.id, B: userB.id },
      newClientId: async () => (await createRelyingParty(env.db, env.keyEncryptionKey, { firstParty: false })).clientId,
    };
    tokens['global tooling client'] = await toolingToken(env, instance, null);
    tokens['tooling client of A'] = await toolingToken(env, instance, a.id);
    for (const principal of PRINCIPALS.filter(isUser)) {
      const role = ROLE_OF[principal];
      const user = await createUser(env.db, { companyId: a.id, roles: role ? [role] : [] });
      userIds[principal] = user.id;
      const login = await userToken(env, instance, user);
      expect(login.claims).toMatchObject({ 'urn:callrec:principal': 'user', sub: user.id, aud: 'urn:callrec-auth:admin' });
      expect(typeof login.claims.auth_time).toBe('number');
      tokens[principal] = login.accessToken;
    }
  });
  afterAll(async () => env?.close());

  it.each(CELLS.map((c) => [c.principal, `${c.endpoint.method} ${c.endpoint.name}`, c.target === '-' ? '' : ` of company ${c.target}`, c.status, c] as const))(
    'when the %s calls "%s"%s, then %i',
    async (_p, _e, _t, status, cell) => {
      const path = await cell.endpoint.path(world, cell.target);
      const res: ApiResponse = await adminApi(instance, tokens[cell.principal]).call(cell.endpoint.method, path, cell.endpoint.body?.());
      expect({ status: res.status, body: res.status >= 400 ? res.body : undefined }).toMatchObject({ status });
      if (status >= 400) {
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ status, type: expect.stringMatching(/^urn:callrec-auth:problem:/) });
      }
    },
  );

  it("when a caller asks for another company's user or users, then the answer is the same as for ones that do not exist", async () => {
    for (const principal of ['MANAGE_USERS user of A', 'tooling client of A'] as const) {
      const api = adminApi(instance, tokens[principal]);
      const other = await api.get(`/admin/v1/users/${world.users.B}`);
      const missing = await api.get(`/admin/v1/users/${randomUUID()}`);
      expect(other.status).toBe(404);
      expect(other.body).toEqual(missing.body);
      const otherCompany = await api.get(`/admin/v1/companies/${world.companies.B}/users`);
      const missingCompany = await api.get(`/admin/v1/companies/${randomUUID()}/users`);
      expect(otherCompany.status).toBe(404);
      expect(otherCompany.body).toEqual(missingCompany.body);
    }
  });

  it('when a MANAGE_USERS user replaces their own roles, then 403 and the roles stay', async () => {
    const me = userIds['MANAGE_USERS user of A'];
    const api = adminApi(instance, tokens['MANAGE_USERS user of A']);
    const res = await api.put(`/admin/v1/users/${me}/roles`, { roles: ['MANAGE_USERS', 'MANAGE_COMPANY_MFA', 'MANAGE_OWN_MFA'] });
    expect(res.status).toBe(403);
    expect((await api.get(`/admin/v1/users/${me}/roles`)).body).toEqual({ roles: ['MANAGE_USERS'] });
  });

  it('when a MANAGE_USERS user deactivates themself, then 403', async () => {
    const me = userIds['MANAGE_USERS user of A'];
    const res = await adminApi(instance, tokens['MANAGE_USERS user of A']).patch(`/admin/v1/users/${me}`, { status: 'INACTIVE' });
    expect(res.status).toBe(403);
  });

  it('when a role is taken away, then the same still-valid token loses the right at once (roles are read on every call)', async () => {
    const user = await createUser(env.db, { companyId: world.companies.A, roles: ['MANAGE_USERS'] });
    const { accessToken } = await userToken(env, instance, user);
    const api = adminApi(instance, accessToken);
    expect((await api.get(`/admin/v1/companies/${world.companies.A}/users`)).status).toBe(200);
    const revoked = await adminApi(instance, tokens['global tooling client']).put(`/admin/v1/users/${user.id}/roles`, { roles: [] });
    expect(revoked.status).toBe(200);
    expect((await api.get(`/admin/v1/companies/${world.companies.A}/users`)).status).toBe(403);
  });

  it('when a company-bound client asks for audit events without a companyId, then it sees only its own company', async () => {
    const res = await adminApi(instance, tokens['tooling client of A']).get('/admin/v1/audit-events?limit=100');
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThan(0);
    expect(new Set(res.body.items.map((e: { companyId: string }) => e.companyId))).toEqual(new Set([world.companies.A]));
  });

  it('when a company-bound client tries to register a global tooling client, then 403', async () => {
    const res = await adminApi(instance, tokens['tooling client of A']).post('/admin/v1/clients', {
      name: 'escalate', redirectUris: [], grantTypes: ['client_credentials'], companyId: null,
    });
    expect(res.status).toBe(403);
  });
});
