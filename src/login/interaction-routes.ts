// The login journey's HTTP surface: GET /interaction/:uid shows the page for the current step;
// each POST reloads the interaction, checks it is at the step the form belongs to, and otherwise
// sends the browser back to GET (never an assertion that turns a stale form into a 500).
import { Router } from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { Knex } from 'knex';
import type { Views } from '../http/views.js';
import type { Logger } from '../logger.js';
import type { UsersRepo } from '../accounts/users-repo.js';
import type { PasswordHasher } from '../accounts/passwords.js';
import { authenticatePassword } from '../accounts/authenticate-password.js';
import { isFirstParty } from '../oidc/first-party-grant.js';
import { ACR, AMR } from '../oidc/acr.js';
import { type Csrf, isSameOrigin } from './csrf.js';
import { describeScopes } from './scope-descriptions.js';

export interface InteractionRoutesDeps {
  provider: Provider;
  issuer: string;
  views: Views;
  csrf: Csrf;
  db: Knex;
  users: UsersRepo;
  hasher: PasswordHasher;
  logger: Logger;
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

export const INVALID_LOGIN_MESSAGE = 'The username or password you entered is incorrect.';

export function createInteractionRoutes(deps: InteractionRoutesDeps): Router {
  const { provider, views, csrf } = deps;
  const router = new Router();
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });

  const noStore: Middleware = async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  };

  /** Refuses cross-site form posts and posts without this interaction's token. */
  const checkForm: Middleware = async (ctx, next) => {
    const uid = (ctx as unknown as { params: { uid: string } }).params.uid;
    const body = ctx.request.body as Record<string, unknown> | undefined;
    if (!isSameOrigin(ctx.get('Origin') || undefined, deps.issuer) || !csrf.verify(uid, body?.csrf)) {
      views.message(ctx, 403, {
        title: 'Request refused',
        heading: 'This form could not be accepted',
        paragraphs: ['The page you submitted did not come from this login. Please go back to the application and log in again.'],
      });
      return;
    }
    await next();
  };

  const backToCurrentStep = (ctx: Context, uid: string) => {
    ctx.status = 303;
    ctx.redirect(`/interaction/${uid}`);
  };

  const field = (ctx: Context, name: string): string => {
    const value = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' ? value : '';
  };

  const renderLogin = (ctx: Context, interaction: Interaction, status: number, extra: { error?: string; username?: string } = {}) => {
    views.respond(ctx, status, 'login', {
      title: 'Call Recording Login',
      uid: interaction.uid,
      csrf: csrf.tokenFor(interaction.uid),
      username: extra.username ?? (typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : ''),
      error: extra.error,
    });
  };

  router.get('/interaction/:uid', noStore, async (ctx) => {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid) return backToCurrentStep(ctx, interaction.uid);
    switch (interaction.prompt.name) {
      case 'login':
        return renderLogin(ctx, interaction, 200);
      case 'consent': {
        const client = await provider.Client.find(String(interaction.params.client_id));
        if (client && isFirstParty(client)) return finishConsent(ctx, interaction);
        return views.respond(ctx, 200, 'consent', {
          title: 'Authorize',
          uid: interaction.uid,
          csrf: csrf.tokenFor(interaction.uid),
          clientName: client?.clientName ?? String(interaction.params.client_id),
          permissions: describeScopes(String(interaction.params.scope ?? '')),
        });
      }
      default:
        return views.message(ctx, 400, { title: 'Login problem', heading: 'We could not log you in', paragraphs: ['Please go back to the application and start again.'] });
    }
  });

  router.post('/interaction/:uid/login', noStore, form, checkForm, async (ctx) => {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid || interaction.prompt.name !== 'login') return backToCurrentStep(ctx, interaction.uid);

    const username = field(ctx, 'username').trim();
    const password = field(ctx, 'password');
    const check = await authenticatePassword(deps, username, password);
    if (!check.ok) {
      deps.logger.info({ event: 'login.password_failed' }, 'password check failed');
      return renderLogin(ctx, interaction, 401, { error: INVALID_LOGIN_MESSAGE, username });
    }
    await provider.interactionFinished(ctx.req, ctx.res, {
      login: { accountId: check.user.id, amr: [AMR.PASSWORD], acr: ACR.PASSWORD, remember: false },
    }, { mergeWithLastSubmission: false });
  });

  router.post('/interaction/:uid/consent', noStore, form, checkForm, async (ctx) => {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid || interaction.prompt.name !== 'consent') return backToCurrentStep(ctx, interaction.uid);
    if (field(ctx, 'decision') !== 'allow') {
      return provider.interactionFinished(ctx.req, ctx.res, { error: 'access_denied', error_description: 'End-User denied the request' }, { mergeWithLastSubmission: false });
    }
    return finishConsent(ctx, interaction);
  });

  async function finishConsent(ctx: Context, interaction: Interaction) {
    const accountId = interaction.session?.accountId;
    if (!accountId) return backToCurrentStep(ctx, interaction.uid);
    const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
    const grant = existing ?? new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
    const details = interaction.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(ctx.req, ctx.res, { consent: existing ? {} : { grantId } }, { mergeWithLastSubmission: true });
  }

  return router;
}

