// What every step's form handler shares: CSRF and origin checks, reading fields, and sending the
// browser back to GET /interaction/:uid when a form does not belong to the current step.
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import type { Views } from '../http/views.js';
import { type Csrf, isSameOrigin } from './csrf.js';

export interface Forms {
  parse: Middleware;
  check: Middleware;
  noStore: Middleware;
  field(ctx: Context, name: string): string;
  backToCurrentStep(ctx: Context, uid: string): void;
}

/**
 * Form parsing where any unreadable body (wrong size, broken encoding, bad gzip) is a 4xx with the
 * parser's status, never a 500.
 */
export function parseForm(): Middleware {
  const parse = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });
  return async (ctx, next) => {
    let parsed = false;
    try {
      await parse(ctx, async () => { parsed = true; });
    } catch (err) {
      const status = (err as { status?: number }).status;
      ctx.throw(status && status >= 400 && status < 500 ? status : 400, 'The form could not be read.');
    }
    if (parsed) await next();
  };
}

/** A text field of the posted form; anything else (arrays, NUL or lone surrogates PostgreSQL cannot store) reads as empty. */
export function formField(ctx: Context, name: string): string {
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && !value.includes('\u0000') && (value as string & { isWellFormed(): boolean }).isWellFormed() ? value : '';
}

export function createForms(deps: { views: Views; csrf: Csrf; issuer: string }): Forms {
  return {
    parse: parseForm(),
    async check(ctx, next) {
      const uid = (ctx as unknown as { params: { uid: string } }).params.uid;
      const body = ctx.request.body as Record<string, unknown> | undefined;
      if (!isSameOrigin(ctx.get('Origin') || undefined, deps.issuer) || !deps.csrf.verify(uid, body?.csrf)) {
        deps.views.message(ctx, 403, {
          title: 'Request refused',
          heading: 'This form could not be accepted',
          paragraphs: ['The page you submitted did not come from this login. Please go back to the application and log in again.'],
        });
        return;
      }
      await next();
    },
    async noStore(ctx, next) {
      ctx.set('Cache-Control', 'no-store');
      await next();
    },
    field(ctx, name) {
      return formField(ctx, name);
    },
    backToCurrentStep(ctx, uid) {
      ctx.status = 303;
      ctx.redirect(`/interaction/${uid}`);
    },
  };
}
