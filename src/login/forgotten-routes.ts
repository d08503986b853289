// "Forgotten login details?" For now an administrator resets the password; the self-service reset
// by email arrives with the admin API issue (see README, "Not yet built").
import { Router } from '@koa/router';
import type { Views } from '../http/views.js';

export function createForgottenRoutes(views: Views): Router {
  const router = new Router();
  router.get('/forgotten', (ctx) => {
    const uid = typeof ctx.query.interaction === 'string' && /^[\w-]{1,64}$/.test(ctx.query.interaction) ? ctx.query.interaction : undefined;
    views.message(ctx, 200, {
      title: 'Forgotten login details',
      heading: 'Forgotten login details?',
      paragraphs: ['Please contact your Call Recording administrator: they can reset your password and tell you your username.'],
      link: uid ? { href: `/interaction/${uid}`, text: 'Back to login' } : undefined,
    });
  });
  return router;
}
