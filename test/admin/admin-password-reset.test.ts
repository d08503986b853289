// "Forgotten login details?" and the admin password reset, with real email: a local SMTP listener
// (smtp-server) receives what the service sends through SMTP_URL. The link works once, expires
// after 30 minutes (the instance runs on a clock the test can move), changes the password, and
// does not bypass MFA.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SMTPServer } from 'smtp-server';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from '../support/test-app.js';
import { adminApi, toolingToken, userToken } from '../support/admin-client.js';
import { createCompany, createUser, uniqueName } from '../support/fixtures.js';
import { registerAuthenticator } from '../support/mfa.js';
import { UserAgent, type PageResponse } from '../support/user-agent.js';
import { adminRelyingParty } from '../support/admin-client.js';
import { openAuthorization, startAuthorization } from '../support/relying-party.js';

interface Mail { to: string[]; raw: string; text: string }

/** The message text with quoted-printable soft breaks and escapes undone. */
function decodeMail(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

describe('password reset by email', () => {
  let env: TestEnvironment;
  let instance: TestInstance;
  let smtp: SMTPServer;
  let offsetMs = 0;
  const inbox: Mail[] = [];
  const waiters: (() => void)[] = [];
  let api: ReturnType<typeof adminApi>;
  let companyId: string;

  async function mailFor(address: string, timeoutMs = 5000): Promise<Mail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = inbox.findIndex((m) => m.to.includes(address.toLowerCase()));
      if (index >= 0) return inbox.splice(index, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`no email for ${address}`);
      await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, 100); });
    }
  }

  function linkIn(mail: Mail): string {
    const link = /(http:\/\/127\.0\.0\.1:\d+\/reset-password\?token=[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    if (!link) throw new Error(`no reset link in: ${mail.text}`);
    return link;
  }

  async function askForReset(identifier: string): Promise<PageResponse> {
    const agent = new UserAgent();
    const form = await agent.request(`${instance.issuer}/forgotten`);
    expect(form.status).toBe(200);
    expect(form.headers.getSetCookie().join(';')).toMatch(/reset_csrf=/);
    return agent.submit(form, { identifier });
  }

  async function setPassword(link: string, password: string, agent = new UserAgent()): Promise<PageResponse> {
    const page = await agent.request(link);
    if (page.status !== 200) return page;
    return agent.submit(page, { password, confirm: password });
  }

  /** The page after submitting the password on the login page. */
  async function tryPassword(username: string, password: string): Promise<PageResponse> {
    const rp = await adminRelyingParty(env, instance);
    const agent = new UserAgent();
    const attempt = await startAuthorization(rp.config, rp.client);
    const login = await openAuthorization(agent, attempt, rp.client);
    return agent.submit(login, { username, password });
  }

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        let raw = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => { raw += chunk; });
        stream.on('end', () => {
          inbox.push({ to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()), raw, text: decodeMail(raw) });
          waiters.splice(0).forEach((w) => w());
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    env = await createTestEnvironment();
    instance = await env.startInstance({ SMTP_URL: `smtp://127.0.0.1:${port}` }, { now: () => new Date(Date.now() + offsetMs) });
    api = adminApi(instance, await toolingToken(env, instance, null));
    companyId = (await createCompany(env.db, { mfaPolicy: 'AVAILABLE' })).id;
  });
  afterAll(async () => {
    await env?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('when someone asks with a username, an email address or an unknown name, then the page is the same and only real accounts get an email', async () => {
    const byName = await createUser(env.db, { companyId, email: `${uniqueName('n')}@example.com` });
    const byEmail = await createUser(env.db, { companyId, email: `${uniqueName('e')}@example.com` });
    const answers = [await askForReset(byName.username.toUpperCase()), await askForReset(byEmail.email), await askForReset(uniqueName('nobody'))];
    for (const page of answers) {
      expect(page.status).toBe(200);
      expect(page.body).toContain('Check your email');
    }
    expect(new Set(answers.map((p) => p.body)).size).toBe(1);
    const nameMail = await mailFor(byName.email);
    expect(nameMail.text).toMatch(/Subject: Reset your Call Recording password/);
    expect(linkIn(nameMail)).toContain(`${instance.issuer}/reset-password?token=`);
    linkIn(await mailFor(byEmail.email));
    await new Promise((r) => setTimeout(r, 300));
    expect(inbox).toEqual([]);
  });

  it('when the form is posted without its csrf field, then it is refused and no email is sent', async () => {
    const user = await createUser(env.db, { companyId });
    const agent = new UserAgent();
    await agent.request(`${instance.issuer}/forgotten`);
    const res = await agent.request(`${instance.issuer}/forgotten`, { form: { identifier: user.username }, headers: { origin: instance.issuer } });
    expect(res.status).toBe(403);
    await expect(mailFor(user.email, 500)).rejects.toThrow(/no email/);
  });

  it('when the link is used, then it sets the new password once: the old password stops working, the new one works, and a second use is "expired"', async () => {
    const user = await createUser(env.db, { companyId });
    await askForReset(user.email);
    const link = linkIn(await mailFor(user.email));
    const newPassword = 'a brand new password';
    const done = await setPassword(link, newPassword);
    expect(done.status).toBe(200);
    expect(done.body).toContain('Your password has been changed');

    const again = await new UserAgent().request(link);
    expect(again.status).toBe(400);
    expect(again.body).toContain('This link has expired');
    const reuse = await setPassword(link, 'yet another password');
    expect(reuse.body).toContain('This link has expired');

    const old = await tryPassword(user.username, user.password);
    expect(old.location).toBeUndefined();
    expect(old.body).toContain('Call Recording Login');
    const login = await userToken(env, instance, { username: user.username, password: newPassword });
    expect(login.pages).toEqual(['Call Recording Login']);
    const events = await env.db('audit_events').where({ target_id: user.id }).orderBy('id').pluck('type');
    expect(events).toEqual(['user.password_reset_requested', 'user.password_reset']);
  });

  it('when an administrator sends a reset, then 202 and an email; a user with MFA still gets asked for the passcode after the new password', async () => {
    const company = await createCompany(env.db, { mfaPolicy: 'ENABLED' });
    const user = await createUser(env.db, { companyId: company.id });
    const secret = await registerAuthenticator(instance, user);
    const res = await api.post(`/admin/v1/users/${user.id}/password-reset`, {});
    expect(res.status).toBe(202);
    const link = linkIn(await mailFor(user.email));
    expect((await setPassword(link, 'mfa user new password')).status).toBe(200);
    const login = await userToken(env, instance, { username: user.username, password: 'mfa user new password' }, { totpSecret: secret });
    expect(login.pages).toEqual(['Call Recording Login', 'MFA One-Time Passcode']);
    expect(login.claims.acr).toBe('urn:callrec-auth:acr:mfa');
  });

  it('when an administrator sends a reset to an inactive user, then 409', async () => {
    const user = await createUser(env.db, { companyId, status: 'INACTIVE' });
    const res = await api.post(`/admin/v1/users/${user.id}/password-reset`, {});
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  // Moves the instance clock: keep this the last test.
  it('when the link is opened after 30 minutes, then it has expired and the password stays', async () => {
    const user = await createUser(env.db, { companyId });
    expect((await api.post(`/admin/v1/users/${user.id}/password-reset`, {})).status).toBe(202);
    const link = linkIn(await mailFor(user.email));
    offsetMs = 29 * 60_000;
    expect((await new UserAgent().request(link)).status).toBe(200);
    offsetMs = 31 * 60_000;
    const page = await setPassword(link, 'too late password');
    expect(page.status).toBe(400);
    expect(page.body).toContain('This link has expired');
    const login = await userToken(env, instance, user);
    expect(login.pages).toEqual(['Call Recording Login']);
  });
});
