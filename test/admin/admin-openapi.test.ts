// The OpenAPI document: structurally sound OpenAPI 3.1 (every operation has responses, every $ref
// resolves, every path parameter is declared, operationIds are unique), it lists every route of the
// issue, and a tooling script that knows only the document and a client secret does the guide's
// admin tasks: it finds the token URL, the audience and each operation in the document.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { userToken } from '../support/admin-client.js';
import { createUser } from '../support/fixtures.js';

const BOOTSTRAP = { id: 'bootstrap-openapi', secret: 'o'.repeat(40) };
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface Operation { operationId: string; summary: string; parameters?: { name: string; in: string; required?: boolean }[]; requestBody?: unknown; responses: Record<string, unknown>; security?: unknown[] }
type Doc = { openapi: string; info: { title: string; version: string; description: string }; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, any>; schemas: Record<string, unknown> } }; // eslint-disable-line @typescript-eslint/no-explicit-any

function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), doc);
}

function collectRefs(node: unknown, refs: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, refs));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') refs.push(value);
      else collectRefs(value, refs);
    }
  }
  return refs;
}

/** A tooling script: given only the admin base URL, the document and client credentials. */
function toolingScript(adminUrl: string, doc: Doc, credentials: { id: string; secret: string }) {
  const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, ...op })));
  const find = (summary: RegExp) => {
    const found = operations.filter((o) => summary.test(o.summary));
    if (found.length !== 1) throw new Error(`${found.length} operations match ${summary}`);
    return found[0]!;
  };
  let token: string | undefined;
  const authenticate = async () => {
    const tokenUrl: string = doc.components.securitySchemes.oauth2.flows.clientCredentials.tokenUrl;
    const resource = /resource `([^`]+)`/.exec(doc.info.description)![1]!;
    const scope = Object.keys(doc.components.securitySchemes.oauth2.flows.clientCredentials.scopes).join(' ');
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${credentials.id}:${credentials.secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
    });
    token = ((await res.json()) as { access_token: string }).access_token;
  };
  return {
    async call(summary: RegExp, args: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {}) {
      if (!token) await authenticate();
      const op = find(summary);
      for (const p of op.parameters ?? []) if (p.in === 'path' && !args.params?.[p.name]) throw new Error(`missing path parameter ${p.name}`);
      const path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(args.params![name]!));
      const query = args.query ? `?${new URLSearchParams(args.query)}` : '';
      const res = await fetch(`${adminUrl}${path}${query}`, {
        method: op.method.toUpperCase(),
        headers: { authorization: `Bearer ${token}`, ...(op.requestBody ? { 'content-type': 'application/json' } : {}) },
        body: op.requestBody ? JSON.stringify(args.body ?? {}) : undefined,
      });
      const text = await res.text();
      // Whatever the server answers must be one of the responses the document lists.
      if (!(String(res.status) in op.responses)) throw new Error(`${op.method} ${op.path} answered ${res.status}, not documented (${Object.keys(op.responses).join(', ')})`);
      return { status: res.status, body: text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : undefined };
    },
  };
}

describe('the OpenAPI document', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let doc: Doc;

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance({ BOOTSTRAP_ADMIN_CLIENT_ID: BOOTSTRAP.id, BOOTSTRAP_ADMIN_CLIENT_SECRET: BOOTSTRAP.secret });
    const res = await fetch(`${instance.adminUrl}/admin/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await res.json()) as Doc;
  });
  afterAll(async () => env?.close());

  it('then it is structurally valid OpenAPI 3.1', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path.startsWith('/')).toBe(true);
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      for (const [method, op] of Object.entries(item)) {
        expect(METHODS).toContain(method);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const [status, response] of Object.entries(op.responses)) {
          expect(status).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
          expect(response).toMatchObject({ description: expect.any(String) });
        }
        expect(typeof op.operationId).toBe('string');
        expect(operationIds.has(op.operationId)).toBe(false);
        operationIds.add(op.operationId);
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
        expect(declared.map((p) => p.name).sort()).toEqual([...templated].sort());
        for (const p of declared) expect(p.required).toBe(true);
        for (const requirement of op.security ?? []) for (const scheme of Object.keys(requirement as object)) expect(doc.components.securitySchemes[scheme]).toBeDefined();
      }
    }
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect({ ref, target: resolvePointer(doc, ref) }).toEqual({ ref, target: expect.anything() });
  });

  it('then it lists every route of the issue, and request bodies refuse unknown fields', () => {
    const expected = [
      'get /admin/v1/roles', 'get /admin/v1/companies', 'post /admin/v1/companies', 'get /admin/v1/companies/{companyId}', 'patch /admin/v1/companies/{companyId}',
      'get /admin/v1/companies/{companyId}/mfa-policy', 'put /admin/v1/companies/{companyId}/mfa-policy', 'get /admin/v1/companies/{companyId}/users', 'post /admin/v1/companies/{companyId}/users',
      'get /admin/v1/users/{userId}', 'patch /admin/v1/users/{userId}', 'get /admin/v1/users/{userId}/roles', 'put /admin/v1/users/{userId}/roles',
      'post /admin/v1/users/{userId}/mfa/reset', 'post /admin/v1/users/{userId}/password-reset', 'get /admin/v1/me', 'get /admin/v1/me/mfa', 'put /admin/v1/me/mfa', 'post /admin/v1/me/mfa/reset',
      'get /admin/v1/clients', 'post /admin/v1/clients', 'get /admin/v1/clients/{clientId}', 'delete /admin/v1/clients/{clientId}', 'post /admin/v1/clients/{clientId}/secret', 'get /admin/v1/audit-events',
    ];
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path}`));
    expect(documented.sort()).toEqual(expect.arrayContaining(expected.sort()));
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const schema = (op.requestBody as { content?: Record<string, { schema: { additionalProperties?: unknown } }> } | undefined)?.content?.['application/json']?.schema;
        if (schema) expect({ op: `${method} ${path}`, additionalProperties: schema.additionalProperties }).toEqual({ op: `${method} ${path}`, additionalProperties: false });
      }
    }
  });

  it("when a tooling script uses only the document and a client secret, then it does the guide's admin tasks", async () => {
    const script = toolingScript(instance.adminUrl, doc, BOOTSTRAP);
    const company = await script.call(/^Create a company/, { body: { name: 'Script Co', mfaPolicy: 'AVAILABLE' } });
    expect(company.status).toBe(201);
    const companyId: string = company.body.id;
    // Company MFA → MFA Enabled → Save
    expect((await script.call(/^Set the company MFA policy/, { params: { companyId }, body: { policy: 'ENABLED' } })).body).toEqual({ policy: 'ENABLED' });
    expect((await script.call(/^Read the company MFA policy/, { params: { companyId } })).body).toEqual({ policy: 'ENABLED' });
    // Users → + Create User
    const created = await script.call(/^Create a user/, { params: { companyId }, body: { username: 'lsheldon', firstName: 'Larry', lastName: 'Sheldon', email: 'lsheldon@example.com', telephonyUsername: 'lsheldon', policy: 'GLOBAL', password: 'larry password 1' } });
    expect(created.status).toBe(201);
    // Search users, sorted by last name
    const found = await script.call(/^Search and list the users/, { params: { companyId }, query: { search: 'SHELDON', sort: 'lastName', order: 'asc' } });
    expect(found.body.items.map((u: { username: string }) => u.username)).toEqual(['lsheldon']);
    const userId: string = found.body.items[0].id;
    // Modify User → Roles → "Access to Manage Own MFA" → Save
    const roles = (await script.call(/^The roles that can be granted/)).body as { id: string; name: string }[];
    const ownMfa = roles.find((r) => r.name === 'Access to Manage Own MFA')!.id;
    expect((await script.call(/^Replace a user's roles/, { params: { userId }, body: { roles: [ownMfa] } })).body).toEqual({ roles: [ownMfa] });
    expect((await script.call(/^Read a user's roles/, { params: { userId } })).body).toEqual({ roles: [ownMfa] });
    // Reset MFA for lsheldon? → Confirm
    expect((await script.call(/^Reset a user's MFA/, { params: { userId }, body: { reason: 'Confirm' } })).body).toMatchObject({ id: userId, mfaStatus: 'PENDING' });
    // Modify User → General; password reset email
    expect((await script.call(/^Modify a user/, { params: { userId }, body: { telephonyUsername: 'lsheldon@example.org' } })).body.telephonyUsername).toBe('lsheldon@example.org');
    expect((await script.call(/^Email the user a single-use password reset link/, { params: { userId } })).status).toBe(202);
    // Disable MFA (Company): typed confirmation
    expect((await script.call(/^Set the company MFA policy/, { params: { companyId }, body: { policy: 'DISABLED' } })).status).toBe(400);
    expect((await script.call(/^Set the company MFA policy/, { params: { companyId }, body: { policy: 'DISABLED', confirm: 'Disable MFA' } })).body).toEqual({ policy: 'DISABLED' });
    // The audit log shows it all
    const audit = await script.call(/^Audit events/, { query: { companyId } });
    expect(audit.body.items.map((e: { type: string }) => e.type)).toEqual([
      'company.mfa_policy_changed', 'user.password_reset_requested', 'user.updated', 'mfa.reset', 'user.roles_changed', 'user.created', 'company.mfa_policy_changed', 'company.created',
    ]);
    // Clients: register an app, rotate its secret, remove it
    const app = await script.call(/^Register a client/, { body: { name: 'Recording app', redirectUris: ['https://recording.example.com/callback'], firstParty: true } });
    expect(app.body.clientSecret).toEqual(expect.any(String));
    const rotated = await script.call(/^Rotate a client's secret/, { params: { clientId: app.body.clientId } });
    expect(rotated.body.clientSecret).not.toBe(app.body.clientSecret);
    expect((await script.call(/^Delete a client/, { params: { clientId: app.body.clientId } })).status).toBe(204);
    expect((await script.call(/^Read a client/, { params: { clientId: app.body.clientId } })).status).toBe(404);
  });

  it("when the recording app uses a user's token, then it can do My MFA as the document describes it", async () => {
    const script = toolingScript(instance.adminUrl, doc, BOOTSTRAP);
    const company = await script.call(/^Create a company/, { body: { name: 'My MFA Co', mfaPolicy: 'AVAILABLE' } });
    const user = await createUser(env.db, { companyId: company.body.id, roles: ['MANAGE_OWN_MFA'] });
    const { accessToken } = await userToken(env, instance, user);
    const myMfa = Object.entries(doc.paths['/admin/v1/me/mfa']!).map(([method]) => method).sort();
    expect(myMfa).toEqual(['get', 'put']);
    const put = await fetch(`${instance.adminUrl}/admin/v1/me/mfa`, { method: 'PUT', headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ enabled: true }) });
    expect(put.status).toBe(200);
    expect(String(put.status) in doc.paths['/admin/v1/me/mfa']!.put!.responses).toBe(true);
    expect(await put.json()).toEqual({ companyPolicy: 'AVAILABLE', enabled: true, status: 'PENDING', canChange: true });
  });
});
