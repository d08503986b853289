import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { adminApi, clientCredentialsToken } from '../support/admin-client.js';

const BOOTSTRAP = { id: 'bootstrap-tooling', secret: 'b'.repeat(40) };

describe('admin API basics with the bootstrap client', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let api: ReturnType<typeof adminApi>;

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance({ BOOTSTRAP_ADMIN_CLIENT_ID: BOOTSTRAP.id, BOOTSTRAP_ADMIN_CLIENT_SECRET: BOOTSTRAP.secret });
    api = adminApi(instance, await clientCredentialsToken(instance.issuer, BOOTSTRAP.id, BOOTSTRAP.secret));
  });
  afterAll(async () => env?.close());

  it('when the bootstrap client creates a company and a user, then the user is listed with its MFA status', async () => {
    const company = await api.post('/admin/v1/companies', { name: 'Acme Recording', mfaPolicy: 'AVAILABLE' });
    expect(company.status).toBe(201);
    const user = await api.post(`/admin/v1/companies/${company.body.id}/users`, {
      username: 'jdoe', firstName: 'Jane', lastName: 'Doe', email: 'jdoe@example.com', policy: 'GLOBAL', password: 'correct horse battery',
    });
    expect(user.status).toBe(201);
    expect(user.body).toMatchObject({ username: 'jdoe', mfaStatus: 'DISABLED', roles: [], status: 'ACTIVE' });
    expect(JSON.stringify(user.body)).not.toMatch(/argon2|password/i);
    const list = await api.get(`/admin/v1/companies/${company.body.id}/users?search=DOE`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((u: { username: string }) => u.username)).toEqual(['jdoe']);
    const roles = await api.put(`/admin/v1/users/${user.body.id}/roles`, { roles: ['MANAGE_OWN_MFA'] });
    expect(roles.body).toEqual({ roles: ['MANAGE_OWN_MFA'] });
    const audit = await api.get(`/admin/v1/audit-events?companyId=${company.body.id}`);
    expect(audit.body.items.map((e: { type: string }) => e.type)).toEqual(['user.roles_changed', 'user.created', 'company.created']);
  });

  it('when switching to DISABLED without the confirmation, then it is refused naming it', async () => {
    const company = await api.post('/admin/v1/companies', { name: 'Beta', mfaPolicy: 'ENABLED' });
    const refused = await api.put(`/admin/v1/companies/${company.body.id}/mfa-policy`, { policy: 'DISABLED' });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(refused.body.detail).toContain('Disable MFA');
    const ok = await api.put(`/admin/v1/companies/${company.body.id}/mfa-policy`, { policy: 'DISABLED', confirm: 'Disable MFA' });
    expect(ok.body).toEqual({ policy: 'DISABLED' });
  });

  it('when there is no token, then 401 with WWW-Authenticate', async () => {
    const res = await adminApi(instance).get('/admin/v1/roles');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('when the body has unknown fields, then 400 lists them', async () => {
    const res = await api.post('/admin/v1/companies', { name: 'X', id: 'forced' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].message).toMatch(/unknown field/);
  });

  it('then the OpenAPI document describes every route', async () => {
    const res = await adminApi(instance).get('/admin/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toContain('/admin/v1/users/{userId}/mfa/reset');
  });
});
