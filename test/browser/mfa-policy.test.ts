// Who is asked for MFA, in a real Chromium: company policy DISABLED / AVAILABLE (opt-in) / ENABLED,
// an admin reset, step-up by acr_values, and SSO sessions that predate a policy change.
import { describe, expect, it } from '@jest/globals';
import { createCompany, createUser } from '../support/fixtures.js';
import { registerAuthenticator, useBrowserSuite } from '../support/browser.js';
import { resetMfa } from '../../src/mfa/reset-mfa.js';
import type { MfaPolicy } from '../../src/companies/company.js';

const ACR_PWD = 'urn:callrec-auth:acr:pwd';
const ACR_MFA = 'urn:callrec-auth:acr:mfa';

describe('who is asked for MFA, in Chromium', () => {
  const suite = useBrowserSuite();

  async function companyUser(mfaPolicy: MfaPolicy) {
    const company = await createCompany(suite.env.db, { mfaPolicy });
    return { company, account: await createUser(suite.env.db, { companyId: company.id }) };
  }

  const setPolicy = (companyId: string, policy: MfaPolicy) => suite.instance.app.services.companies.setMfaPolicy(suite.env.db, companyId, policy);

  it('when the company policy is DISABLED, then a user with an authenticator logs in with the password only', async () => {
    const { company, account } = await companyUser('ENABLED');
    const setup = await suite.openBrowser('03-policy-disabled-setup');
    await setup.authorize();
    await setup.login(account.username, account.password);
    await registerAuthenticator(setup);

    await setPolicy(company.id, 'DISABLED');
    const user = await suite.openBrowser('03-policy-disabled');
    await user.authorize();
    expect(await user.heading()).toBe('Call Recording Login');
    await user.shot('login');
    await user.login(account.username, account.password);
    expect(user.atCallback()).toBe(true);
    expect((await user.tokens()).claims()).toMatchObject({ sub: account.id, amr: ['pwd'], acr: ACR_PWD });
  });

  it('when the company policy is AVAILABLE, then a user who did not opt in logs in with the password only, and after opting in registers at the next login', async () => {
    const { account } = await companyUser('AVAILABLE');
    const before = await suite.openBrowser('04-policy-available');
    await before.authorize();
    await before.login(account.username, account.password);
    expect(before.atCallback()).toBe(true);
    expect((await before.tokens()).claims()).toMatchObject({ sub: account.id, amr: ['pwd'], acr: ACR_PWD });

    await suite.instance.app.services.users.setMfaOptIn(suite.env.db, account.id, true);
    const after = await suite.openBrowser('04-policy-available-opted-in');
    await after.authorize();
    expect(await after.login(account.username, account.password)).toBe(200);
    expect(await after.heading()).toBe('MFA Registration');
    expect(await after.text()).toContain('Multi-factor authentication has been enabled.');
    await after.shot('mfa-intro');
    await registerAuthenticator(after);
    expect((await after.tokens()).claims()).toMatchObject({ sub: account.id, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MFA });
  });

  it('when an administrator resets a user\'s MFA, then the user\'s session ends and the next login registers again', async () => {
    const { account } = await companyUser('ENABLED');
    const user = await suite.openBrowser('05-admin-reset');
    await user.authorize();
    await user.login(account.username, account.password);
    const old = await registerAuthenticator(user);
    await user.tokens();

    const { users, authenticators, recoveryCodes } = suite.instance.app.services;
    const reset = await resetMfa(
      { db: suite.env.db, users, authenticators, recoveryCodes, accountSessions: suite.instance.app.accountSessions },
      { userId: account.id, actor: { type: 'SYSTEM', id: null } },
    );
    expect(reset.hadAuthenticator).toBe(true);

    // Same browser, no prompt: the session is gone, so the login page is shown.
    expect(await user.authorize()).toBe(200);
    expect(user.atCallback()).toBe(false);
    expect(await user.heading()).toBe('Call Recording Login');
    await user.shot('login-after-reset');
    expect(await user.login(account.username, account.password)).toBe(200);
    expect(await user.heading()).toBe('MFA Registration');
    expect(await user.text()).toContain('Multi-factor authentication has been enabled.');
    await user.shot('mfa-intro-after-reset');
    const fresh = await registerAuthenticator(user);
    expect(fresh.app.secret).not.toBe(old.app.secret);
    expect((await user.tokens()).claims()).toMatchObject({ sub: account.id, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MFA });
  });

  it('when an RP asks for the MFA acr, then a user not asked by policy registers or enters a passcode, and under DISABLED without an authenticator the RP gets unmet_authentication_requirements', async () => {
    const stepUp = { acr_values: ACR_MFA };
    const { account } = await companyUser('AVAILABLE');

    // No authenticator yet, policy AVAILABLE, not opted in: step-up registers one.
    const first = await suite.openBrowser('08-step-up-register');
    await first.authorize(stepUp);
    expect(await first.login(account.username, account.password)).toBe(200);
    expect(await first.heading()).toBe('MFA Registration');
    await first.shot('mfa-intro');
    const { app } = await registerAuthenticator(first);
    expect((await first.tokens()).claims()).toMatchObject({ sub: account.id, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MFA });

    // Without acr_values the policy does not ask this user.
    const plain = await suite.openBrowser('08-step-up-not-requested');
    await plain.authorize();
    await plain.login(account.username, account.password);
    expect((await plain.tokens()).claims()).toMatchObject({ amr: ['pwd'], acr: ACR_PWD });

    // With acr_values and an authenticator: the passcode page.
    const second = await suite.openBrowser('08-step-up-passcode');
    await second.authorize(stepUp);
    expect(await second.login(account.username, account.password)).toBe(200);
    expect(await second.heading()).toBe('MFA One-Time Passcode');
    await second.shot('mfa-passcode');
    await second.enterCode((await app.nextCode()).code);
    expect((await second.tokens()).claims()).toMatchObject({ sub: account.id, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MFA });

    // Policy DISABLED, no authenticator: the request cannot be met.
    const disabled = await companyUser('DISABLED');
    const unmet = await suite.openBrowser('08-step-up-unmet');
    await unmet.authorize(stepUp);
    await unmet.shot('login');
    await unmet.login(disabled.account.username, disabled.account.password);
    expect(unmet.atCallback()).toBe(true);
    const callback = unmet.callbackUrl();
    expect(callback.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(callback.searchParams.get('state')).toBe(unmet.attempt!.state);
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('when the company switches from DISABLED to ENABLED, then a password-only session is not reused silently: the next authorization (same browser, no prompt) goes through the MFA pages', async () => {
    const { company, account } = await companyUser('DISABLED');
    const user = await suite.openBrowser('10-sso-policy-change');
    await user.authorize();
    await user.login(account.username, account.password);
    expect((await user.tokens()).claims()).toMatchObject({ sub: account.id, amr: ['pwd'], acr: ACR_PWD });

    // Control: the session answers silently while the policy is unchanged.
    await user.authorize();
    expect(user.atCallback()).toBe(true);

    await setPolicy(company.id, 'ENABLED');
    expect(await user.authorize()).toBe(200);
    expect(user.atCallback()).toBe(false);
    await user.shot('after-policy-change');
    // The provider may ask for the password again before the MFA step (it does today); it must
    // not finish the login without the MFA step.
    if ((await user.heading()) === 'Call Recording Login') {
      expect(await user.login(account.username, account.password)).toBe(200);
      expect(user.atCallback()).toBe(false);
    }
    expect(await user.heading()).toBe('MFA Registration');
    expect(await user.text()).toContain('Multi-factor authentication has been enabled.');
    await registerAuthenticator(user);
    expect((await user.tokens()).claims()).toMatchObject({ sub: account.id, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MFA });
  });
});
