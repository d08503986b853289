// The embedded default's demo relying party at /demo: a real OIDC client (openid-client, a
// certified RP library) that logs in through this provider with code + PKCE and shows the claims
// of the ID token it verified. It talks to the provider over HTTP like any other app would.
import { Router } from '@koa/router';
import * as oidc from 'openid-client';
import type { Views } from '../http/views.js';

export interface DemoRpDeps {
  issuer: string;
  clientId: string;
  clientSecret: string;
  views: Views;
}

export const DEMO_SCOPE = 'openid profile email callrec';
const COOKIE = 'demo_rp';
const COOKIE_OPTIONS = { httpOnly: true, sameSite: 'lax' as const, signed: true, path: '/demo', overwrite: true };

export function createDemoRoutes(deps: DemoRpDeps): Router {
  const router = new Router({ prefix: '/demo' });
  const redirectUri = `${deps.issuer}/demo/callback`;
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    discovered ??= oidc.discovery(new URL(deps.issuer), deps.clientId, deps.clientSecret, undefined, {
      execute: new URL(deps.issuer).protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
    }).catch((err: unknown) => { discovered = undefined; throw err; });
    return discovered;
  };

  router.get('/', (ctx) => {
    const session = ctx.cookies.get(COOKIE, { signed: true });
    const claims = session ? (JSON.parse(Buffer.from(session, 'base64url').toString('utf8')) as { claims?: Record<string, unknown> }).claims : undefined;
    deps.views.respond(ctx, 200, 'demo', { title: 'Demo relying party', claims });
  });

  router.get('/login', async (ctx) => {
    const config = await configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    ctx.cookies.set(COOKIE, Buffer.from(JSON.stringify({ verifier, state, nonce })).toString('base64url'), COOKIE_OPTIONS);
    ctx.redirect(oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: DEMO_SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    }).href);
  });

  router.get('/callback', async (ctx) => {
    const raw = ctx.cookies.get(COOKIE, { signed: true });
    const pending = raw ? (JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { verifier?: string; state?: string; nonce?: string }) : {};
    if (!pending.verifier) {
      ctx.redirect('/demo');
      return;
    }
    try {
      const tokens = await oidc.authorizationCodeGrant(await configuration(), new URL(ctx.originalUrl, deps.issuer), {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims() as Record<string, unknown>;
      ctx.cookies.set(COOKIE, Buffer.from(JSON.stringify({ claims, idToken: tokens.id_token })).toString('base64url'), COOKIE_OPTIONS);
      ctx.redirect('/demo');
    } catch (err) {
      const message = err instanceof Error ? err.message : 'unknown error';
      deps.views.message(ctx, 400, { title: 'Demo login failed', heading: 'The demo login failed', paragraphs: [message], link: { href: '/demo', text: 'Back to the demo' } });
    }
  });

  router.get('/logout', async (ctx) => {
    const raw = ctx.cookies.get(COOKIE, { signed: true });
    const session = raw ? (JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { idToken?: string }) : {};
    ctx.cookies.set(COOKIE, null, COOKIE_OPTIONS);
    ctx.redirect(oidc.buildEndSessionUrl(await configuration(), {
      post_logout_redirect_uri: `${deps.issuer}/demo`,
      ...(session.idToken ? { id_token_hint: session.idToken } : {}),
    }).href);
  });

  return router;
}
