// The product guide's admin journeys end to end: the admin API with real user tokens from a real
// login, and the login pages as the user meets them afterwards (MFA Registration, passcode).
// The instance runs on a clock the test moves forward: each MFA login happens in a later TOTP step
// (a code is never accepted twice), and the last journey moves past the 15-minute freshness window.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { adminApi, refreshUserToken, toolingToken, userToken, type UserLogin, type UserTokenOptions } from '../support/admin-client.js';
import { createCompany, createUser, uniqueName } from '../support/fixtures.js';

const LOGIN = 'Call Recording Login';
const REGISTRATION = 'MFA Registration';
const PASSCODE = 'MFA One-Time Passcode';

describe('the guide admin journeys', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);
  let globalApi: ReturnType<typeof adminApi>;

  /** Logs in on the instance clock, one TOTP step after the previous login. */
  function login(user: { username: string; password: string }, options: UserTokenOptions = {}): Promise<UserLogin> {
    offsetMs += 30_000;
    return userToken(env, instance, user, { epochSeconds: () => Math.floor(now().getTime() / 1000), ...options });
  }

  async function companyWithAdmins(policy: 'DISABLED' | 'AVAILABLE' | 'ENABLED') {
    const company = await createCompany(env.db, { name: uniqueName('Journey '), mfaPolicy: policy });
    // Admins in a company whose policy may become ENABLED log in before it does (their tokens stay valid).
    const usersAdmin = await createUser(env.db, { companyId: company.id, roles: ['MANAGE_USERS'] });
    const mfaAdmin = await createUser(env.db, { companyId: company.id, roles: ['MANAGE_COMPANY_MFA'] });
    return {
      company,
      usersAdmin: adminApi(instance, (await login(usersAdmin)).accessToken),
      mfaAdmin: adminApi(instance, (await login(mfaAdmin)).accessToken),
      mfaAdminId: mfaAdmin.id,
    };
  }

  async function auditTypes(companyId: string): Promise<{ type: string; actor: { type: string; id: string }; target: { id: string } | null; reason: string | null; details: Record<string, unknown> }[]> {
    return (await globalApi.get(`/admin/v1/audit-events?companyId=${companyId}&limit=100`)).body.items;
  }

  beforeAll(async () => {
    env = await createTestEnvironment();
    instance = await env.startInstance({}, { now });
    globalApi = adminApi(instance, await toolingToken(env, instance, null));
  });
  afterAll(async () => env?.close());

  it('when a Company MFA manager switches the company to ENABLED, then the next login of a user goes through MFA Registration and then asks for the passcode', async () => {
    const { company, mfaAdmin, mfaAdminId } = await companyWithAdmins('AVAILABLE');
    const user = await createUser(env.db, { companyId: company.id });
    expect((await login(user)).pages).toEqual([LOGIN]);

    const saved = await mfaAdmin.put(`/admin/v1/companies/${company.id}/mfa-policy`, { policy: 'ENABLED' });
    expect(saved).toMatchObject({ status: 200, body: { policy: 'ENABLED' } });
    expect((await mfaAdmin.get(`/admin/v1/companies/${company.id}/mfa-policy`)).body).toEqual({ policy: 'ENABLED' });
    expect((await mfaAdmin.get(`/admin/v1/users/${user.id}`)).body.mfaStatus).toBe('PENDING');

    const first = await login(user);
    expect(first.pages).toEqual([LOGIN, REGISTRATION, REGISTRATION, PASSCODE, 'Save your recovery codes']);
    expect(first.totpSecret).toMatch(/^[A-Z2-7]+$/);
    expect((await mfaAdmin.get(`/admin/v1/users/${user.id}`)).body.mfaStatus).toBe('ENABLED');

    const second = await login(user, { totpSecret: first.totpSecret });
    expect(second.pages).toEqual([LOGIN, PASSCODE]);
    const [changed] = (await auditTypes(company.id)).filter((e) => e.type === 'company.mfa_policy_changed');
    expect(changed).toMatchObject({ actor: { type: 'USER', id: mfaAdminId }, target: { id: company.id }, details: { from: 'AVAILABLE', to: 'ENABLED' } });
  });

  it('when a Users manager grants "Access to Manage Own MFA", then the user opts in under AVAILABLE, registers at the next login, and opts out again', async () => {
    const { company, usersAdmin } = await companyWithAdmins('AVAILABLE');
    const user = await createUser(env.db, { companyId: company.id });
    const before = await login(user);
    expect((await adminApi(instance, before.accessToken).get('/admin/v1/me/mfa')).status).toBe(403);

    const roles = (await globalApi.get('/admin/v1/roles')).body as { id: string; name: string }[];
    const ownMfa = roles.find((r) => r.name === 'Access to Manage Own MFA')!;
    expect(ownMfa.id).toBe('MANAGE_OWN_MFA');
    const found = await usersAdmin.get(`/admin/v1/companies/${company.id}/users?search=${encodeURIComponent(user.username.toUpperCase())}`);
    expect(found.body.items.map((u: { id: string }) => u.id)).toEqual([user.id]);
    const granted = await usersAdmin.put(`/admin/v1/users/${user.id}/roles`, { roles: [ownMfa.id] });
    expect(granted).toMatchObject({ status: 200, body: { roles: ['MANAGE_OWN_MFA'] } });

    // The role is read on every call: the same token now reaches My MFA.
    const me = adminApi(instance, before.accessToken);
    expect((await me.get('/admin/v1/me/mfa')).body).toEqual({ companyPolicy: 'AVAILABLE', enabled: false, status: 'DISABLED', canChange: true });
    expect((await me.put('/admin/v1/me/mfa', { enabled: true })).body).toEqual({ companyPolicy: 'AVAILABLE', enabled: true, status: 'PENDING', canChange: true });

    const registered = await login(user);
    expect(registered.pages).toContain(REGISTRATION);
    const fresh = adminApi(instance, registered.accessToken);
    expect((await fresh.get('/admin/v1/me/mfa')).body).toMatchObject({ enabled: true, status: 'ENABLED' });

    const optedOut = await fresh.put('/admin/v1/me/mfa', { enabled: false });
    expect(optedOut).toMatchObject({ status: 200, body: { enabled: false, status: 'DISABLED', canChange: true } });
    expect((await login(user)).pages).toEqual([LOGIN]);
    const optIns = (await auditTypes(company.id)).filter((e) => e.type === 'mfa.opt_in_changed').map((e) => e.details.enabled);
    expect(optIns).toEqual([false, true]);
  });

  it('when the company policy is ENABLED or DISABLED, then My MFA cannot be changed (409) and says so', async () => {
    for (const policy of ['ENABLED', 'DISABLED'] as const) {
      const company = await createCompany(env.db, { mfaPolicy: 'DISABLED' });
      const user = await createUser(env.db, { companyId: company.id, roles: ['MANAGE_OWN_MFA'] });
      const me = adminApi(instance, (await login(user)).accessToken);
      await globalApi.put(`/admin/v1/companies/${company.id}/mfa-policy`, { policy, confirm: 'Disable MFA' });
      expect((await me.get('/admin/v1/me/mfa')).body).toMatchObject({ companyPolicy: policy, canChange: false });
      const res = await me.put('/admin/v1/me/mfa', { enabled: policy === 'DISABLED' });
      expect(res.status).toBe(409);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('when a manager switches MFA to DISABLED, then it needs the typed confirmation "Disable MFA" exactly, and the change is audited', async () => {
    const { company, mfaAdmin, mfaAdminId } = await companyWithAdmins('ENABLED');
    for (const confirm of [undefined, '', 'disable mfa', 'Disable MFA ', 'Disable  MFA']) {
      const res = await mfaAdmin.put(`/admin/v1/companies/${company.id}/mfa-policy`, { policy: 'DISABLED', ...(confirm === undefined ? {} : { confirm }) });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body.detail).toContain('Disable MFA');
    }
    expect((await mfaAdmin.get(`/admin/v1/companies/${company.id}/mfa-policy`)).body).toEqual({ policy: 'ENABLED' });
    const ok = await mfaAdmin.put(`/admin/v1/companies/${company.id}/mfa-policy`, { policy: 'DISABLED', confirm: 'Disable MFA' });
    expect(ok).toMatchObject({ status: 200, body: { policy: 'DISABLED' } });
    const events = (await auditTypes(company.id)).filter((e) => e.type === 'company.mfa_policy_changed');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: { type: 'USER', id: mfaAdminId }, details: { from: 'ENABLED', to: 'DISABLED' } });
  });

  it("when a manager resets another user's MFA, then that user's refresh token stops working and their next login registers again", async () => {
    const { company, mfaAdmin, mfaAdminId } = await companyWithAdmins('ENABLED');
    const user = await createUser(env.db, { companyId: company.id });
    const first = await login(user, { offline: true });
    expect(first.pages).toContain(REGISTRATION);
    expect(typeof first.refreshToken).toBe('string');
    const refreshed = await refreshUserToken(first.rp, first.refreshToken!);
    expect(typeof refreshed.access_token).toBe('string');

    const reset = await mfaAdmin.post(`/admin/v1/users/${user.id}/mfa/reset`, { reason: 'Lost phone' });
    expect(reset).toMatchObject({ status: 200, body: { id: user.id, mfaStatus: 'PENDING' } });
    await expect(refreshUserToken(first.rp, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    const next = await login(user, { totpSecret: first.totpSecret });
    expect(next.pages).toEqual([LOGIN, REGISTRATION, REGISTRATION, PASSCODE, 'Save your recovery codes']);
    expect(next.totpSecret).not.toBe(first.totpSecret);
    const [event] = (await auditTypes(company.id)).filter((e) => e.type === 'mfa.reset');
    expect(event).toMatchObject({ actor: { type: 'USER', id: mfaAdminId }, target: { id: user.id }, reason: 'Lost phone', details: { self: false, hadAuthenticator: true } });
  });

  it('when a user resets their own MFA (lost phone), then their refresh token stops working and the next login registers again', async () => {
    const company = await createCompany(env.db, { mfaPolicy: 'ENABLED' });
    const user = await createUser(env.db, { companyId: company.id, roles: ['MANAGE_OWN_MFA'] });
    const first = await login(user, { offline: true });
    expect(first.pages).toContain(REGISTRATION);
    const me = adminApi(instance, first.accessToken);
    expect((await me.get('/admin/v1/me/mfa')).body).toMatchObject({ status: 'ENABLED' });
    const reset = await me.post('/admin/v1/me/mfa/reset', { reason: 'Lost my phone' });
    expect(reset).toMatchObject({ status: 200, body: { status: 'PENDING', enabled: true } });
    await expect(refreshUserToken(first.rp, first.refreshToken!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const next = await login(user, { totpSecret: first.totpSecret });
    expect(next.pages).toContain(REGISTRATION);
    const [event] = (await auditTypes(company.id)).filter((e) => e.type === 'mfa.reset');
    expect(event).toMatchObject({ actor: { type: 'USER', id: user.id }, target: { id: user.id }, reason: 'Lost my phone', details: { self: true } });
  });

  // Moves the instance clock past the 15-minute window: keep this the last test of the file.
  it('when the login behind the token is older than 15 minutes, then opting out and self reset answer 401 insufficient_user_authentication with max_age, and nothing changes', async () => {
    const company = await createCompany(env.db, { mfaPolicy: 'AVAILABLE' });
    const user = await createUser(env.db, { companyId: company.id, roles: ['MANAGE_OWN_MFA'] });
    const optedIn = await login(user);
    const me = adminApi(instance, optedIn.accessToken);
    expect((await me.put('/admin/v1/me/mfa', { enabled: true })).status).toBe(200);
    const registered = await login(user);
    const stale = adminApi(instance, registered.accessToken);
    offsetMs += 16 * 60_000;
    for (const [method, path, body] of [['PUT', '/admin/v1/me/mfa', { enabled: false }], ['POST', '/admin/v1/me/mfa/reset', {}]] as const) {
      const res = await stale.call(method, path, body);
      expect(res.status).toBe(401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer\b/);
      expect(challenge).toContain('error="insufficient_user_authentication"');
      expect(challenge).toMatch(/max_age=900\b/);
      expect(res.body).toMatchObject({ status: 401, type: 'urn:callrec-auth:problem:insufficient_user_authentication' });
    }
    expect((await stale.get('/admin/v1/me/mfa')).body).toMatchObject({ enabled: true, status: 'ENABLED' });
    // Opting in (the safer direction) needs no fresh login.
    expect((await stale.put('/admin/v1/me/mfa', { enabled: true })).status).toBe(200);
  });
});
