// Every change through the admin API writes exactly one audit event (who, which company, what,
// target, reason for resets) with the change, and nothing secret ever lands in `details`.
// Read straight from the audit_events table, as an auditor would.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { adminApi, toolingToken, userToken } from '../support/admin-client.js';
import { createCompany, createRelyingParty, createUser, uniqueName } from '../support/fixtures.js';
import { registerAuthenticator } from '../support/mfa.js';

interface Row { id: number; type: string; company_id: string | null; actor_type: string; actor_id: string | null; target_type: string | null; target_id: string | null; reason: string | null; details: Record<string, unknown> }

describe('admin API audit events', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let api: ReturnType<typeof adminApi>;
  let clientActor: { actor_type: string; actor_id: string };
  const secrets: string[] = [];

  const lastId = async () => Number((await env.db('audit_events').max('id as max').first<{ max: number | null }>())?.max ?? 0);
  const rowsAfter = (id: number) => env.db<Row>('audit_events').where('id', '>', id).orderBy('id');

  /** Runs a change and returns the audit rows it wrote. */
  async function audited(change: () => Promise<{ status: number }>, status: number): Promise<Row[]> {
    const before = await lastId();
    const res = await change();
    expect(res.status).toBe(status);
    return rowsAfter(before);
  }

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance();
    const token = await toolingToken(env, instance, null);
    api = adminApi(instance, token);
    clientActor = { actor_type: 'CLIENT', actor_id: String(decodeJwt(token).client_id) };
  });
  afterAll(async () => env?.close());

  it('when a global client makes each kind of change, then each writes exactly its event', async () => {
    const created = await audited(() => api.post('/admin/v1/companies', { name: 'Audit Co', mfaPolicy: 'AVAILABLE' }), 201);
    const companyId = created[0]!.company_id!;
    expect(created).toEqual([expect.objectContaining({ type: 'company.created', company_id: companyId, ...clientActor, target_type: 'company', target_id: companyId, details: { name: 'Audit Co', mfaPolicy: 'AVAILABLE' } })]);

    expect(await audited(() => api.patch(`/admin/v1/companies/${companyId}`, { name: 'Audit Co 2' }), 200)).toEqual([
      expect.objectContaining({ type: 'company.renamed', company_id: companyId, ...clientActor, target_id: companyId, details: { from: 'Audit Co', to: 'Audit Co 2' } }),
    ]);
    expect(await audited(() => api.put(`/admin/v1/companies/${companyId}/mfa-policy`, { policy: 'ENABLED' }), 200)).toEqual([
      expect.objectContaining({ type: 'company.mfa_policy_changed', company_id: companyId, ...clientActor, details: { from: 'AVAILABLE', to: 'ENABLED' } }),
    ]);
    // Setting the policy it already has changes nothing and records nothing.
    expect(await audited(() => api.put(`/admin/v1/companies/${companyId}/mfa-policy`, { policy: 'ENABLED' }), 200)).toEqual([]);

    const password = 'a-Secret-Password-123';
    secrets.push(password);
    const userRows = await audited(() => api.post(`/admin/v1/companies/${companyId}/users`, { username: uniqueName('aud'), firstName: 'A', lastName: 'U', email: 'aud@example.com', policy: 'STAFF', password }), 201);
    const userId = userRows[0]!.target_id!;
    expect(userRows).toEqual([expect.objectContaining({ type: 'user.created', company_id: companyId, ...clientActor, target_type: 'user', target_id: userId, details: expect.objectContaining({ password: 'set' }) })]);

    expect(await audited(() => api.patch(`/admin/v1/users/${userId}`, { firstName: 'Changed', email: 'changed@example.com' }), 200)).toEqual([
      expect.objectContaining({ type: 'user.updated', company_id: companyId, ...clientActor, target_id: userId, details: { fields: ['firstName', 'email'] } }),
    ]);
    expect(await audited(() => api.put(`/admin/v1/users/${userId}/roles`, { roles: ['MANAGE_OWN_MFA', 'MANAGE_USERS'] }), 200)).toEqual([
      expect.objectContaining({ type: 'user.roles_changed', company_id: companyId, ...clientActor, target_id: userId, details: { from: [], to: ['MANAGE_OWN_MFA', 'MANAGE_USERS'] } }),
    ]);
    await registerAuthenticator(instance, { id: userId, companyId });
    expect(await audited(() => api.post(`/admin/v1/users/${userId}/mfa/reset`, { reason: 'Lost phone on the train' }), 200)).toEqual([
      expect.objectContaining({ type: 'mfa.reset', company_id: companyId, ...clientActor, target_id: userId, reason: 'Lost phone on the train', details: { self: false, hadAuthenticator: true } }),
    ]);
    expect(await audited(() => api.post(`/admin/v1/users/${userId}/password-reset`, {}), 202)).toEqual([
      expect.objectContaining({ type: 'user.password_reset_requested', company_id: companyId, ...clientActor, target_id: userId }),
    ]);
    expect(await audited(() => api.patch(`/admin/v1/users/${userId}`, { status: 'INACTIVE' }), 200)).toEqual([
      expect.objectContaining({ type: 'user.deactivated', company_id: companyId, ...clientActor, target_id: userId, details: { fields: ['status'] } }),
    ]);
    expect(await audited(() => api.put(`/admin/v1/companies/${companyId}/mfa-policy`, { policy: 'DISABLED', confirm: 'Disable MFA' }), 200)).toEqual([
      expect.objectContaining({ type: 'company.mfa_policy_changed', details: { from: 'ENABLED', to: 'DISABLED' } }),
    ]);

    const clientRows = await audited(async () => {
      const res = await api.post('/admin/v1/clients', { name: 'Audit app', redirectUris: ['https://audit.example.com/cb'] });
      secrets.push(res.body.clientSecret);
      return res;
    }, 201);
    const clientId = clientRows[0]!.target_id!;
    expect(clientRows).toEqual([expect.objectContaining({ type: 'client.created', ...clientActor, target_type: 'client', target_id: clientId })]);
    expect(await audited(async () => {
      const res = await api.post(`/admin/v1/clients/${clientId}/secret`, {});
      secrets.push(res.body.clientSecret);
      return res;
    }, 200)).toEqual([expect.objectContaining({ type: 'client.secret_rotated', ...clientActor, target_id: clientId })]);
    expect(await audited(() => api.delete(`/admin/v1/clients/${clientId}`), 204)).toEqual([expect.objectContaining({ type: 'client.deleted', ...clientActor, target_id: clientId })]);

    const bound = await audited(async () => {
      const res = await api.post('/admin/v1/clients', { name: 'Bound tool', redirectUris: [], grantTypes: ['client_credentials'], companyId });
      secrets.push(res.body.clientSecret);
      return res;
    }, 201);
    expect(bound).toEqual([expect.objectContaining({ type: 'client.created', company_id: companyId, details: { name: 'Bound tool', grantTypes: ['client_credentials'] } })]);
  });

  it('when a user makes changes, then the events name the user as the actor, and self-service events are marked as such', async () => {
    const company = await createCompany(env.db, { mfaPolicy: 'AVAILABLE' });
    const admin = await createUser(env.db, { companyId: company.id, roles: ['MANAGE_USERS', 'MANAGE_COMPANY_MFA', 'MANAGE_OWN_MFA'] });
    const other = await createUser(env.db, { companyId: company.id });
    const me = adminApi(instance, (await userToken(env, instance, admin)).accessToken);
    const userActor = { actor_type: 'USER', actor_id: admin.id, company_id: company.id };

    expect(await audited(() => me.put(`/admin/v1/users/${other.id}/roles`, { roles: ['MANAGE_OWN_MFA'] }), 200)).toEqual([expect.objectContaining({ type: 'user.roles_changed', ...userActor, target_id: other.id })]);
    expect(await audited(() => me.put('/admin/v1/me/mfa', { enabled: true }), 200)).toEqual([expect.objectContaining({ type: 'mfa.opt_in_changed', ...userActor, target_id: admin.id, details: { enabled: true } })]);
    expect(await audited(() => me.post('/admin/v1/me/mfa/reset', { reason: 'new phone' }), 200)).toEqual([
      expect.objectContaining({ type: 'mfa.reset', ...userActor, target_id: admin.id, reason: 'new phone', details: { self: true, hadAuthenticator: false } }),
    ]);
    expect(await audited(() => me.post(`/admin/v1/users/${other.id}/mfa/reset`, {}), 200)).toEqual([
      expect.objectContaining({ type: 'mfa.reset', ...userActor, target_id: other.id, reason: null, details: { self: false, hadAuthenticator: false } }),
    ]);
  });

  it('when a change is refused, then no event is written (the event shares the change transaction)', async () => {
    const company = await createCompany(env.db, { mfaPolicy: 'ENABLED' });
    const existing = await createUser(env.db, { companyId: company.id });
    expect(await audited(() => api.post(`/admin/v1/companies/${company.id}/users`, { username: existing.username.toUpperCase(), firstName: 'D', lastName: 'U', email: 'd@example.com', policy: 'TEAM' }), 409)).toEqual([]);
    expect(await audited(() => api.put(`/admin/v1/companies/${company.id}/mfa-policy`, { policy: 'DISABLED' }), 400)).toEqual([]);
    expect(await audited(() => api.post(`/admin/v1/companies/${company.id}/users`, { username: 'x', firstName: 'D', lastName: 'U', email: 'd@example.com', policy: 'TEAM', roles: ['MANAGE_USERS'] }), 400)).toEqual([]);
    const outsider = adminApi(instance, await toolingToken(env, instance, (await createCompany(env.db)).id));
    expect(await audited(() => outsider.patch(`/admin/v1/users/${existing.id}`, { firstName: 'Nope' }), 404)).toEqual([]);
  });

  it('then no event details or reasons hold a password, a client secret, a hash or a TOTP secret', async () => {
    const rp = await createRelyingParty(env.db, env.keyEncryptionKey, { firstParty: false });
    secrets.push(rp.clientSecret);
    const rows = await env.db<Row>('audit_events').select('details', 'reason');
    const text = JSON.stringify(rows);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/\$argon2|otpauth:|"(secret|clientSecret|passwordHash|password_hash|code|codes)"\s*:/i);
    const authenticatorSecrets = await env.db('mfa_authenticators').select('*');
    for (const row of authenticatorSecrets) for (const value of Object.values(row)) if (typeof value === 'string' && value.length > 20) expect(text).not.toContain(value);
  });
});
