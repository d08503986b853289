// "Forgotten login details?": ask for a username or email, always answer the same, email a
// single-use link valid 30 minutes; the link's page sets a new password. These forms sit outside
// any interaction, so CSRF uses a signed SameSite=Strict cookie echoed in the form, plus Origin.
import { Router } from '@koa/router';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { Views } from '../http/views.js';
import type { PasswordResets } from '../accounts/password-reset.js';
import type { Throttle } from '../mfa/throttle.js';
import { AppError } from '../errors.js';
import { isSameOrigin } from './csrf.js';
import { formField, parseForm } from './forms.js';

export interface ForgottenRoutesDeps {
  views: Views;
  passwordResets: PasswordResets;
  issuer: string;
  throttle: Throttle;
  csrfKey: string;
}

const CSRF_COOKIE = 'reset_csrf';
const COOKIE_OPTIONS = { httpOnly: true, sameSite: 'strict' as const, signed: true, overwrite: true };
export const RESET_REQUESTED_MESSAGE = 'If an account matches what you entered, we have sent an email with a link to reset your password. The link works once and expires in 30 minutes.';

export function createForgottenRoutes(deps: ForgottenRoutesDeps): Router {
  const router = new Router();
  const form = parseForm();

  const csrfToken = (ctx: Context): string => {
    let token = ctx.cookies.get(CSRF_COOKIE, { signed: true });
    if (!token || !/^[\w-]{43}$/.test(token)) {
      token = randomBytes(32).toString('base64url');
      ctx.cookies.set(CSRF_COOKIE, token, COOKIE_OPTIONS);
    }
    return token;
  };
  const checkCsrf: Middleware = async (ctx, next) => {
    const cookie = ctx.cookies.get(CSRF_COOKIE, { signed: true }) ?? '';
    const given = String((ctx.request.body as Record<string, unknown> | undefined)?.csrf ?? '');
    const ok = cookie.length > 0 && given.length === cookie.length && timingSafeEqual(Buffer.from(given), Buffer.from(cookie));
    if (!ok || !isSameOrigin(ctx.get('Origin') || undefined, deps.issuer)) {
      return deps.views.message(ctx, 403, { title: 'Request refused', heading: 'This form could not be accepted', paragraphs: ['Please open the page again and resubmit it.'], link: { href: '/forgotten', text: 'Start again' } });
    }
    await next();
  };
  const field = formField;
  const backLink = (ctx: Context) => {
    const uid = typeof ctx.query.interaction === 'string' && /^[\w-]{1,64}$/.test(ctx.query.interaction) ? ctx.query.interaction : undefined;
    return uid ? `/interaction/${uid}` : undefined;
  };

  router.get('/forgotten', (ctx) => {
    deps.views.respond(ctx, 200, 'forgotten', { title: 'Forgotten login details', csrf: csrfToken(ctx), back: backLink(ctx) });
  });

  router.post('/forgotten', form, checkCsrf, async (ctx) => {
    const identifier = field(ctx, 'identifier').trim().slice(0, 254);
    if (identifier) {
      const key = createHash('sha256').update(identifier.toLowerCase()).digest('base64url');
      const [byIdentifier, byIp] = await Promise.all([deps.throttle.check(`id:${key}`), deps.throttle.check(`ip:${ctx.ip}`)]);
      // Over the limit nothing is sent, but the answer stays the same.
      if (!byIdentifier.locked && !byIp.locked) {
        await Promise.all([deps.throttle.recordFailure(`id:${key}`), deps.throttle.recordFailure(`ip:${ctx.ip}`)]);
        await deps.passwordResets.requestByLogin(identifier);
      }
    }
    deps.views.message(ctx, 200, { title: 'Check your email', heading: 'Check your email', paragraphs: [RESET_REQUESTED_MESSAGE] });
  });

  const invalidLink = (ctx: Context) => deps.views.message(ctx, 400, {
    title: 'Link expired', heading: 'This link has expired', paragraphs: ['This password reset link has expired or has already been used.'], link: { href: '/forgotten', text: 'Ask for a new link' },
  });

  router.get('/reset-password', async (ctx) => {
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    const user = await deps.passwordResets.findUser(token);
    if (!user) return invalidLink(ctx);
    deps.views.respond(ctx, 200, 'reset-password', { title: 'Choose a new password', csrf: csrfToken(ctx), token, username: user.username });
  });

  router.post('/reset-password', form, checkCsrf, async (ctx) => {
    const token = field(ctx, 'token');
    const password = field(ctx, 'password');
    const user = await deps.passwordResets.findUser(token);
    if (!user) return invalidLink(ctx);
    const rerender = (error: string) => deps.views.respond(ctx, 400, 'reset-password', { title: 'Choose a new password', csrf: csrfToken(ctx), token, username: user.username, error });
    if (password !== field(ctx, 'confirm')) return rerender('The two passwords do not match.');
    try {
      await deps.passwordResets.complete(token, password);
    } catch (err) {
      if (err instanceof AppError && err.code === 'password_reset.invalid_link') return invalidLink(ctx);
      if (err instanceof AppError && err.expose) return rerender(err.message);
      throw err;
    }
    deps.views.message(ctx, 200, { title: 'Password changed', heading: 'Your password has been changed', paragraphs: ['Go back to the application and log in with your new password.'] });
  });

  return router;
}
