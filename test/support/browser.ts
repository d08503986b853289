// The real-browser side of the journeys: Debian's Chromium driven by playwright-core, a relying
// party (openid-client) whose redirect_uri nobody listens on (the browser's request to it is
// answered by a route, and its URL handed to openid-client), screenshots, a TOTP "phone", and
// checks that need the browser (axe-core, the QR image).
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page, type Request } from 'playwright-core';
import type * as oidc from 'openid-client';
import { PNG } from 'pngjs';
import { generate } from 'otplib';
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { discover, finishAuthorization, startAuthorization, type AuthorizationAttempt } from './relying-party.js';
import { createRelyingParty, type TestClient } from './fixtures.js';
import { createTestEnvironment, type TestEnvironment, type TestInstance } from './test-app.js';

const require = createRequire(import.meta.url);

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** One browser per test file (beforeAll); a fresh context per test. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export const SCREENSHOT_DIR = join(process.cwd(), 'test-artifacts', 'screenshots');

export async function screenshot(page: Page, test: string, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${test}-${name}.png`), fullPage: true });
}

export interface RelyingParty {
  config: oidc.Configuration;
  client: TestClient;
}

/**
 * One user's browser (a context: its own cookies) talking to one relying party. Screenshots are
 * named `<test>-<nn>-<page>.png` in the order they are taken.
 */
export class BrowserUser {
  attempt: AuthorizationAttempt | undefined;
  /** The RP callback the last navigation reached, if it did. */
  private callback: URL | undefined;
  private shots = 0;

  private constructor(readonly context: BrowserContext, readonly page: Page, readonly rp: RelyingParty, readonly test: string) {}

  static async open(browser: Browser, rp: RelyingParty, test: string, options: BrowserContextOptions = {}): Promise<BrowserUser> {
    const context = await browser.newContext({ viewport: { width: 900, height: 800 }, ...options });
    // Nothing listens on the client's redirect_uri (port 9, which Chromium also refuses as unsafe).
    // The URL the browser is sent to is all the RP needs: record it. A route answers it when
    // Chromium lets the route see the redirect; otherwise the navigation fails, which is fine.
    await context.route(`${new URL(rp.client.redirectUri).origin}/**`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<!DOCTYPE html><title>Relying party</title><h1>Relying party callback</h1>' }));
    const user = new BrowserUser(context, await context.newPage(), rp, test);
    context.on('request', (request) => {
      if (request.isNavigationRequest() && request.url().startsWith(rp.client.redirectUri)) user.callback = new URL(request.url());
    });
    return user;
  }

  async close(): Promise<void> {
    await this.context.close();
  }

  async shot(name: string): Promise<void> {
    this.shots += 1;
    await screenshot(this.page, this.test, `${String(this.shots).padStart(2, '0')}-${name}`);
  }

  /** Starts an authorization request at the RP and opens it; returns the status of the page shown (0: none). */
  async authorize(params: Record<string, string> = {}): Promise<number> {
    this.attempt = await startAuthorization(this.rp.config, this.rp.client, params);
    const url = this.attempt.url.href;
    return this.navigate(() => this.page.goto(url).catch(() => undefined));
  }

  /**
   * Runs `action` (a click, a goto) and waits for the page it navigates to. Returns that page's
   * HTTP status, or 0 when the navigation failed (the unanswered RP callback).
   */
  async navigate(action: () => Promise<unknown>): Promise<number> {
    const page = this.page;
    this.callback = undefined;
    const isMainNavigation = (r: Request) => r.isNavigationRequest() && r.frame() === page.mainFrame();
    const final = Promise.race([
      page.waitForResponse((r) => isMainNavigation(r.request()) && !(r.status() >= 300 && r.status() < 400)).then((r) => r.status()),
      page.waitForEvent('requestfailed', { predicate: isMainNavigation }).then(() => 0),
    ]);
    let posted: Request | undefined;
    const onRequest = (r: Request) => { if (isMainNavigation(r) && r.method() === 'POST' && !r.redirectedFrom()) posted = r; };
    page.on('request', onRequest);
    try {
      await action();
      const status = await final;
      await page.waitForLoadState('domcontentloaded').catch(() => undefined);
      if (status === 403 && posted) {
        // Say why in the failure: the provider refuses forms whose Origin is not its own.
        const origin = await posted.headerValue('origin');
        throw new Error(`the form post to ${posted.url()} was refused (403 "${await this.heading()}"); Chromium sent Origin: ${origin ?? '(none)'}`);
      }
      return status;
    } finally {
      page.off('request', onRequest);
    }
  }

  button(name: string | RegExp): Locator {
    return this.page.getByRole('button', { name });
  }

  /** Clicks a button and waits for the next page. */
  async press(name: string | RegExp): Promise<number> {
    return this.navigate(() => this.button(name).click());
  }

  async heading(): Promise<string> {
    return ((await this.page.locator('h1').first().textContent()) ?? '').trim();
  }

  async text(): Promise<string> {
    return (await this.page.locator('main').innerText()).replace(/\s+/g, ' ');
  }

  async login(username: string, password: string): Promise<number> {
    await this.page.getByLabel('Username').fill(username);
    await this.page.getByLabel('Password').fill(password);
    return this.press('Login >');
  }

  async enterCode(code: string, label = 'MFA Code'): Promise<number> {
    await this.page.getByLabel(label).fill(code);
    return this.press('Continue >');
  }

  atCallback(): boolean {
    return this.callback !== undefined;
  }

  callbackUrl(): URL {
    if (!this.callback) throw new Error(`expected the RP callback, the browser is at ${this.page.url()}`);
    return this.callback;
  }

  /** The browser is at the RP's callback: exchange its code (openid-client checks the ID token). */
  async tokens() {
    if (!this.attempt) throw new Error('no authorization started');
    return finishAuthorization(this.rp.config, this.attempt, this.callbackUrl().href);
  }

  /** The interaction page's URL (for re-opening it, e.g. GET after a refused POST). */
  interactionUrl(): string {
    const match = /^(.*\/interaction\/[^/?#]+)/.exec(this.page.url());
    if (!match) throw new Error(`not on an interaction page: ${this.page.url()}`);
    return match[1]!;
  }
}

/** A user's phone: an authenticator app holding the secret. Never reuses a time step it already sent. */
export class AuthenticatorApp {
  private lastStep = -1;

  constructor(readonly secret: string) {}

  static currentStep(): number {
    return Math.floor(Date.now() / 1000 / 30);
  }

  codeAt(step: number): Promise<string> {
    return generate({ secret: this.secret, algorithm: 'sha1', digits: 6, period: 30, epoch: step * 30 });
  }

  /**
   * The code for the current time step or, if that was already sent (the provider refuses a used
   * step and older ones), the next one, which the provider's ±1 window accepts. Waits for the clock
   * only when even the next step is used.
   */
  async nextCode(): Promise<{ code: string; step: number }> {
    let now = AuthenticatorApp.currentStep();
    const step = Math.max(now, this.lastStep + 1);
    while (step > now + 1) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      now = AuthenticatorApp.currentStep();
    }
    this.lastStep = step;
    return { code: await this.codeAt(step), step };
  }

  /** A six-digit code that no step in (and around) the accepted window produces. */
  async wrongCode(): Promise<string> {
    const now = AuthenticatorApp.currentStep();
    const near = new Set(await Promise.all([-2, -1, 0, 1, 2].map((d) => this.codeAt(now + d))));
    for (let n = 123456; ; n = (n + 111111) % 1000000) {
      const code = String(n).padStart(6, '0');
      if (!near.has(code)) return code;
    }
  }
}

/** Reads the grouped Base32 key shown under "Can't scan image?" (opening the details element). */
export async function readManualKey(page: Page): Promise<{ grouped: string; secret: string }> {
  await page.getByText("Can't scan image?").click();
  const key = page.locator('#manual-key');
  await key.waitFor({ state: 'visible' });
  const grouped = ((await key.textContent()) ?? '').trim();
  return { grouped, secret: grouped.replace(/\s+/g, '') };
}

// --- The QR image -----------------------------------------------------------------------------

type JsQr = typeof import('jsqr').default;
// jsqr is a UMD bundle whose CommonJS export is `{ default: jsQR }`.
const jsqrModule = require('jsqr') as JsQr | { default: JsQr };
const jsQR: JsQr = typeof jsqrModule === 'function' ? jsqrModule : jsqrModule.default;

/** Decodes an `<img>`'s `data:image/png` URL (checking the PNG signature) to its pixels. */
export function decodePngDataUrl(src: string): PNG {
  const match = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(src);
  if (!match) throw new Error(`not a PNG data URL: ${src.slice(0, 40)}…`);
  const buffer = Buffer.from(match[1]!, 'base64');
  if (!buffer.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error('no PNG signature');
  return PNG.sync.read(buffer);
}

/** The text a QR code image holds (jsQR: locates, samples and error-corrects the symbol). */
export function decodeQrImage(png: PNG): string {
  const result = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
  if (!result) throw new Error('no QR code found in the image');
  return result.data;
}

// --- Accessibility ----------------------------------------------------------------------------

const AXE_PATH = require.resolve('axe-core/axe.min.js');
const AXE_URL_PATH = '/__test-only__/axe.min.js';

/**
 * Serves axe-core from the provider's own origin, so the pages' CSP (script-src 'self', no inline
 * script) stays in force while the check runs. Call once per context, before navigating.
 */
export async function allowAxe(context: BrowserContext, origin: string): Promise<void> {
  await context.route(`${origin}${AXE_URL_PATH}`, (route) => route.fulfill({ path: AXE_PATH, contentType: 'application/javascript' }));
}

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: string[] }

/** Runs axe-core (WCAG 2.x A/AA and best practices) on the page; returns serious and critical violations. */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ url: new URL(AXE_URL_PATH, page.url()).href });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

// --- Journeys shared by several tests ----------------------------------------------------------

/**
 * From the "MFA Registration" intro page to the RP callback: Continue, read the manual key, Continue,
 * the first passcode, the recovery codes, Continue. Throws when a page is not the expected one.
 */
export async function registerAuthenticator(user: BrowserUser): Promise<{ app: AuthenticatorApp; recoveryCodes: string[] }> {
  const expectHeading = async (heading: string) => {
    const actual = await user.heading();
    if (actual !== heading) throw new Error(`expected "${heading}", got "${actual}" at ${user.page.url()}: ${(await user.text()).slice(0, 300)}`);
  };
  await expectHeading('MFA Registration');
  await user.press('Continue >');
  await expectHeading('MFA Registration');
  const app = new AuthenticatorApp((await readManualKey(user.page)).secret);
  await user.press('Continue >');
  await expectHeading('MFA One-Time Passcode');
  await user.enterCode((await app.nextCode()).code);
  await expectHeading('Save your recovery codes');
  const recoveryCodes = (await user.page.locator('ul.recovery-codes code').allTextContents()).map((c) => c.trim());
  await user.press('Continue >');
  if (!user.atCallback()) throw new Error(`expected the RP callback after registration, at ${user.page.url()}`);
  return { app, recoveryCodes };
}

// --- One provider and one browser per test file -----------------------------------------------

export interface BrowserSuite {
  env: TestEnvironment;
  instance: TestInstance;
  browser: Browser;
  rp: RelyingParty;
  /** A fresh browser context for the current test; closed after it. */
  openBrowser(test: string, options?: BrowserContextOptions): Promise<BrowserUser>;
}

/**
 * Registers beforeAll/afterEach/afterAll hooks: a test environment with one provider instance, one
 * Chromium, one relying party. The returned object is filled in by beforeAll.
 */
export function useBrowserSuite(): BrowserSuite {
  const opened: BrowserUser[] = [];
  const suite = {
    async openBrowser(test: string, options?: BrowserContextOptions) {
      const user = await BrowserUser.open(suite.browser, suite.rp, test, options);
      opened.push(user);
      return user;
    },
  } as BrowserSuite;
  beforeAll(async () => {
    [suite.env, suite.browser] = await Promise.all([createTestEnvironment(), launchBrowser()]);
    suite.instance = await suite.env.startInstance();
    const client = await createRelyingParty(suite.env.db, suite.env.keyEncryptionKey);
    suite.rp = { client, config: await discover(suite.instance.issuer, client) };
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((u) => u.close()));
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.env?.close();
  });
  return suite;
}
