// The guide's MFA journeys in a real Chromium: first login registers an authenticator, the next
// login asks for a passcode, recovery codes, lockout, prompt=login. Each test has its own user and
// browser contexts; screenshots go to test-artifacts/screenshots/.
import { describe, expect, it } from '@jest/globals';
import { createCompany, createUser } from '../support/fixtures.js';
import { AuthenticatorApp, decodePngDataUrl, decodeQrImage, readManualKey, registerAuthenticator, useBrowserSuite } from '../support/browser.js';

const ACR_PWD = 'urn:callrec-auth:acr:pwd';
const ACR_MFA = 'urn:callrec-auth:acr:mfa';
const WRONG_CODE = 'The code you entered is incorrect. Please try again.';

describe('MFA journeys in Chromium', () => {
  const suite = useBrowserSuite();
  const openBrowser = suite.openBrowser;

  async function enabledCompanyUser() {
    const company = await createCompany(suite.env.db, { mfaPolicy: 'ENABLED' });
    return createUser(suite.env.db, { companyId: company.id });
  }

  /** A user whose first login (in its own context) registered an authenticator. */
  async function registeredUser(test: string) {
    const account = await enabledCompanyUser();
    const first = await openBrowser(`${test}-setup`);
    await first.authorize();
    await first.login(account.username, account.password);
    const registration = await registerAuthenticator(first);
    return { account, first, ...registration };
  }

  it('when a user of an ENABLED company logs in for the first time, then the guide\'s registration pages link an authenticator and the RP gets an MFA ID token', async () => {
    const account = await enabledCompanyUser();
    const user = await openBrowser('01-first-login');

    // Call Recording Login
    expect(await user.authorize()).toBe(200);
    expect(await user.heading()).toBe('Call Recording Login');
    expect(await user.text()).toContain('Please enter your username and password to login.');
    await expect(user.page.getByLabel('Username').count()).resolves.toBe(1);
    await expect(user.page.getByLabel('Password').getAttribute('type')).resolves.toBe('password');
    await expect(user.button('Login >').count()).resolves.toBe(1);
    await expect(user.page.getByRole('link', { name: 'Forgotten login details?' }).count()).resolves.toBe(1);
    await user.shot('login');

    // MFA Registration: intro
    expect(await user.login(account.username, account.password)).toBe(200);
    expect(await user.heading()).toBe('MFA Registration');
    const intro = await user.text();
    for (const wording of ['Multi-factor authentication has been enabled.', 'You will need a mobile device and authenticator app to continue.',
      'Microsoft Authenticator', 'Google Authenticator', 'Both available from Android or iOS stores.', 'Please ensure you have your authenticator app ready.']) {
      expect(intro).toContain(wording);
    }
    await user.shot('mfa-intro');

    // MFA Registration: the QR code
    expect(await user.press('Continue >')).toBe(200);
    expect(await user.heading()).toBe('MFA Registration');
    const scan = await user.text();
    for (const wording of ['We will now link your account with your authenticator app.', 'Step 1: Open your authenticator app',
      'Step 2: Choose to scan QR code or barcode', 'Step 3: Scan the below image']) {
      expect(scan).toContain(wording);
    }
    const qr = user.page.locator('.qr img');
    const qrSrc = (await qr.getAttribute('src')) ?? '';
    expect(qrSrc.startsWith('data:image/png;base64,')).toBe(true);
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    expect(await user.page.locator('#manual-key').isVisible()).toBe(false);
    await expect(user.button('< Back').count()).resolves.toBe(1);
    await user.shot('mfa-scan');

    const { grouped, secret } = await readManualKey(user.page);
    expect(grouped).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
    expect(secret).toHaveLength(32); // 160 bits of Base32
    await user.shot('mfa-scan-manual-key');
    // The QR code holds the standard Key URI (SHA1, 6 digits and 30 s are the defaults when absent).
    const keyUri = decodeQrImage(decodePngDataUrl(qrSrc));
    expect(keyUri.startsWith(`otpauth://totp/Call%20Recording:${encodeURIComponent(account.username)}?`)).toBe(true);
    const keyParams = new URL(keyUri).searchParams;
    expect(keyParams.get('secret')).toBe(secret);
    expect(keyParams.get('issuer')).toBe('Call Recording');
    expect(keyParams.get('algorithm') ?? 'SHA1').toBe('SHA1');
    expect(keyParams.get('digits') ?? '6').toBe('6');
    expect(keyParams.get('period') ?? '30').toBe('30');

    // Back to the intro, then forward again: the same secret is still pending.
    expect(await user.press('< Back')).toBe(200);
    expect(await user.text()).toContain('Multi-factor authentication has been enabled.');
    await user.shot('mfa-intro-after-back');
    await user.press('Continue >');
    expect((await readManualKey(user.page)).secret).toBe(secret);

    // MFA One-Time Passcode
    expect(await user.press('Continue >')).toBe(200);
    expect(await user.heading()).toBe('MFA One-Time Passcode');
    expect(await user.text()).toContain('Please open your authenticator app and enter the 6-digit code displayed on the app into the box below.');
    const codeField = user.page.getByLabel('MFA Code');
    await expect(codeField.getAttribute('autocomplete')).resolves.toBe('one-time-code');
    await expect(codeField.getAttribute('inputmode')).resolves.toBe('numeric');
    await user.shot('mfa-passcode');

    const phone = new AuthenticatorApp(secret);
    expect(await user.enterCode(await phone.wrongCode())).toBe(401);
    expect(await user.heading()).toBe('MFA One-Time Passcode');
    await expect(user.page.getByRole('alert').textContent()).resolves.toBe(WRONG_CODE);
    await user.shot('mfa-passcode-wrong-code');

    // The right code: ten recovery codes, shown once.
    expect(await user.enterCode((await phone.nextCode()).code)).toBe(200);
    expect(await user.heading()).toBe('Save your recovery codes');
    const codes = await user.page.locator('ul.recovery-codes code').allTextContents();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await user.shot('recovery-codes');

    await user.press('Continue >');
    expect(user.atCallback()).toBe(true);
    const claims = (await user.tokens()).claims()!;
    expect(claims).toMatchObject({ sub: account.id, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MFA });
  });

  it('when a registered user logs in again, then only the passcode is asked, and the code of an already used time step is refused', async () => {
    const { account, app } = await registeredUser('02-next-login');

    const user = await openBrowser('02-next-login');
    await user.authorize();
    await user.shot('login');
    expect(await user.login(account.username, account.password)).toBe(200);
    expect(await user.heading()).toBe('MFA One-Time Passcode');
    await expect(user.page.getByRole('link', { name: 'Use a recovery code' }).count()).resolves.toBe(1);
    await user.shot('mfa-passcode');
    const accepted = await app.nextCode();
    await user.enterCode(accepted.code);
    expect(user.atCallback()).toBe(true);
    expect((await user.tokens()).claims()).toMatchObject({ sub: account.id, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MFA });

    // The same code (same time step) in another login is refused.
    const replay = await openBrowser('02-next-login-replay');
    await replay.authorize();
    await replay.login(account.username, account.password);
    expect(await replay.enterCode(accepted.code)).toBe(401);
    expect(await replay.heading()).toBe('MFA One-Time Passcode');
    await expect(replay.page.getByRole('alert').textContent()).resolves.toBe(WRONG_CODE);
    await replay.shot('mfa-passcode-replayed-code');
    expect(replay.atCallback()).toBe(false);
  });

  it('when a user enters a recovery code instead of a passcode, then it is accepted once, the remaining count is shown and the ID token says rc', async () => {
    const { account, recoveryCodes } = await registeredUser('06-recovery-code');
    expect(recoveryCodes).toHaveLength(10);

    const user = await openBrowser('06-recovery-code');
    await user.authorize();
    await user.login(account.username, account.password);
    expect(await user.heading()).toBe('MFA One-Time Passcode');
    await user.navigate(() => user.page.getByRole('link', { name: 'Use a recovery code' }).click());
    expect(await user.heading()).toBe('Use a recovery code');
    await user.shot('recovery-code');
    expect(await user.enterCode(recoveryCodes[0]!, 'Recovery code')).toBe(200);
    expect(await user.heading()).toBe('Recovery code accepted');
    expect(await user.text()).toContain('You have 9 recovery codes left.');
    await user.shot('recovery-accepted');
    await user.press('Continue >');
    expect(user.atCallback()).toBe(true);
    expect((await user.tokens()).claims()).toMatchObject({ sub: account.id, amr: ['pwd', 'mfa', 'rc'], acr: ACR_MFA });

    // The same recovery code again: refused.
    const again = await openBrowser('06-recovery-code-again');
    await again.authorize();
    await again.login(account.username, account.password);
    await again.navigate(() => again.page.getByRole('link', { name: 'Use a recovery code' }).click());
    expect(await again.enterCode(recoveryCodes[0]!, 'Recovery code')).toBe(401);
    expect(await again.heading()).toBe('Use a recovery code');
    await expect(again.page.getByRole('alert').textContent()).resolves.toBe('That recovery code is not valid. Please check it and try again.');
    await again.shot('recovery-code-reused');
    expect(again.atCallback()).toBe(false);
  });

  it('when a user enters 5 wrong passcodes, then the step is locked for 30 minutes, even for the right code and in a new browser session', async () => {
    const { account, app } = await registeredUser('07-lockout');

    const user = await openBrowser('07-lockout');
    await user.authorize();
    await user.login(account.username, account.password);
    const wrong = await app.wrongCode();
    for (let attempt = 1; attempt <= 4; attempt++) expect(await user.enterCode(wrong)).toBe(401);
    expect(await user.enterCode(wrong)).toBe(429);
    expect(await user.heading()).toBe('MFA One-Time Passcode');
    await expect(user.page.getByRole('alert').textContent()).resolves.toBe('Too many attempts, try again in 30 minutes.');
    await user.shot('mfa-passcode-locked');

    // Re-opened, the page shows the lockout at once and its form is disabled, so even the right
    // code cannot be sent (the server refusing it while locked is covered by test/oidc/mfa-security).
    await user.navigate(() => user.page.goto(user.interactionUrl()));
    await expect(user.page.getByRole('alert').textContent()).resolves.toBe('Too many attempts, try again in 30 minutes.');
    expect(await user.page.getByLabel('MFA Code').isDisabled()).toBe(true);
    expect(user.atCallback()).toBe(false);

    // A new browser (new session, new interaction) is still locked.
    const other = await openBrowser('07-lockout-new-session');
    await other.authorize();
    expect(await other.login(account.username, account.password)).toBe(429);
    expect(await other.heading()).toBe('MFA One-Time Passcode');
    await expect(other.page.getByRole('alert').textContent()).resolves.toBe('Too many attempts, try again in 30 minutes.');
    expect(await other.page.getByLabel('MFA Code').isDisabled()).toBe(true);
    await other.shot('mfa-passcode-locked-new-session');
    expect(other.atCallback()).toBe(false);
  });

  it('when an RP sends prompt=login to a user with an MFA session, then the login page is shown again and both factors are asked', async () => {
    const { account, app, first: user } = await registeredUser('09-prompt-login');

    // Control: without a prompt, the session answers silently.
    await user.authorize();
    expect(user.atCallback()).toBe(true);
    const sso = (await user.tokens()).claims()!;
    expect(sso).toMatchObject({ sub: account.id, acr: ACR_MFA });

    expect(await user.authorize({ prompt: 'login' })).toBe(200);
    expect(await user.heading()).toBe('Call Recording Login');
    await user.shot('login');
    expect(await user.login(account.username, account.password)).toBe(200);
    expect(await user.heading()).toBe('MFA One-Time Passcode');
    await user.shot('mfa-passcode');
    await user.enterCode((await app.nextCode()).code);
    expect(user.atCallback()).toBe(true);
    const claims = (await user.tokens()).claims()!;
    expect(claims).toMatchObject({ sub: account.id, amr: ['pwd', 'otp', 'mfa'], acr: ACR_MFA });
    expect(claims.acr).not.toBe(ACR_PWD);
  });
});
