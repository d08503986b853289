// The MFA pages themselves, in a real Chromium: an automated accessibility check (axe-core, no
// serious or critical violation) on every page of the journeys, and the whole registration journey
// with JavaScript disabled.
import { describe, expect, it } from '@jest/globals';
import { createCompany, createUser } from '../support/fixtures.js';
import { AuthenticatorApp, allowAxe, readManualKey, seriousAxeViolations, useBrowserSuite, type AxeViolation, type BrowserUser } from '../support/browser.js';

const ACR_MFA = 'urn:callrec-auth:acr:mfa';

describe('MFA pages in Chromium', () => {
  const suite = useBrowserSuite();

  async function enabledCompanyUser() {
    const company = await createCompany(suite.env.db, { mfaPolicy: 'ENABLED' });
    return createUser(suite.env.db, { companyId: company.id });
  }

  it('when axe-core checks each page of the registration, passcode and recovery-code journeys, then none has a serious or critical violation', async () => {
    const account = await enabledCompanyUser();
    const found: Record<string, AxeViolation[]> = {};
    const check = async (user: BrowserUser, page: string, heading: string) => {
      expect(await user.heading()).toBe(heading);
      found[page] = await seriousAxeViolations(user.page);
      await user.shot(page);
    };

    const user = await suite.openBrowser('11-accessibility');
    await allowAxe(user.context, new URL(suite.instance.issuer).origin);
    await user.authorize();
    await check(user, 'login', 'Call Recording Login');
    expect(await user.login(account.username, 'not the password')).toBe(401);
    await check(user, 'login-error', 'Call Recording Login');
    await user.login(account.username, account.password);
    await check(user, 'mfa-intro', 'MFA Registration');
    await user.press('Continue >');
    await check(user, 'mfa-scan', 'MFA Registration');
    const phone = new AuthenticatorApp((await readManualKey(user.page)).secret);
    await check(user, 'mfa-scan-manual-key', 'MFA Registration');
    await user.press('Continue >');
    await check(user, 'mfa-passcode-registration', 'MFA One-Time Passcode');
    await user.enterCode(await phone.wrongCode());
    await check(user, 'mfa-passcode-error', 'MFA One-Time Passcode');
    await user.enterCode((await phone.nextCode()).code);
    await check(user, 'recovery-codes', 'Save your recovery codes');
    const recoveryCodes = await user.page.locator('ul.recovery-codes code').allTextContents();
    await user.press('Continue >');
    expect(user.atCallback()).toBe(true);

    const next = await suite.openBrowser('11-accessibility-next-login');
    await allowAxe(next.context, new URL(suite.instance.issuer).origin);
    await next.authorize();
    await next.login(account.username, account.password);
    await check(next, 'mfa-passcode', 'MFA One-Time Passcode');
    await next.navigate(() => next.page.getByRole('link', { name: 'Use a recovery code' }).click());
    await check(next, 'recovery-code', 'Use a recovery code');
    await next.enterCode('not-a-code', 'Recovery code');
    await check(next, 'recovery-code-error', 'Use a recovery code');
    await next.enterCode(recoveryCodes[0]!, 'Recovery code');
    await check(next, 'recovery-accepted', 'Recovery code accepted');

    const report = Object.entries(found).flatMap(([page, violations]) =>
      violations.map((v) => `${page}: [${v.impact}] ${v.id} — ${v.help} — ${v.nodes.join(', ')}`));
    if (report.length) console.log(`axe-core serious/critical violations:\n${report.join('\n')}`);
    expect(report).toEqual([]);
  });

  it('when JavaScript is disabled, then the whole registration journey works, including "Can\'t scan image?"', async () => {
    const account = await enabledCompanyUser();
    const user = await suite.openBrowser('12-no-javascript', { javaScriptEnabled: false });

    await user.authorize();
    expect(await user.heading()).toBe('Call Recording Login');
    await user.shot('login');
    expect(await user.login(account.username, account.password)).toBe(200);
    expect(await user.heading()).toBe('MFA Registration');
    await user.shot('mfa-intro');
    expect(await user.press('Continue >')).toBe(200);
    expect(await user.text()).toContain('We will now link your account with your authenticator app.');
    expect(await user.page.locator('#manual-key').isVisible()).toBe(false);
    const { grouped, secret } = await readManualKey(user.page);
    expect(await user.page.locator('#manual-key').isVisible()).toBe(true);
    expect(grouped).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
    await user.shot('mfa-scan-manual-key');

    expect(await user.press('< Back')).toBe(200);
    expect(await user.text()).toContain('Multi-factor authentication has been enabled.');
    await user.press('Continue >');
    expect(await user.press('Continue >')).toBe(200);
    expect(await user.heading()).toBe('MFA One-Time Passcode');
    await user.shot('mfa-passcode');

    const phone = new AuthenticatorApp(secret);
    expect(await user.enterCode(await phone.wrongCode())).toBe(401);
    await expect(user.page.getByRole('alert').textContent()).resolves.toBe('The code you entered is incorrect. Please try again.');
    await user.shot('mfa-passcode-wrong-code');
    expect(await user.enterCode((await phone.nextCode()).code)).toBe(200);
    expect(await user.heading()).toBe('Save your recovery codes');
    await expect(user.page.locator('ul.recovery-codes code').count()).resolves.toBe(10);
    await user.shot('recovery-codes');
    await user.press('Continue >');
    expect(user.atCallback()).toBe(true);
    expect((await user.tokens()).claims()).toMatchObject({ sub: account.id, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MFA });

    // The next login, still without JavaScript: the passcode page only.
    const next = await suite.openBrowser('12-no-javascript-next-login', { javaScriptEnabled: false });
    await next.authorize();
    await next.login(account.username, account.password);
    expect(await next.heading()).toBe('MFA One-Time Passcode');
    await next.enterCode((await phone.nextCode()).code);
    expect((await next.tokens()).claims()).toMatchObject({ sub: account.id, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MFA });
  });
});

