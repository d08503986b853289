// Consent, for third-party clients only: first-party applications are granted what they ask for
// without a page (see oidc/first-party-grant.ts).
import type { Context } from 'koa';
import type { Router } from '@koa/router';
import type { LoginDeps } from './login-deps.js';
import type { Interaction } from './journey.js';
import { isFirstParty } from '../oidc/first-party-grant.js';
import { describeScopes } from './scope-descriptions.js';

export async function renderConsentStep(deps: LoginDeps, ctx: Context, interaction: Interaction): Promise<void> {
  const client = await deps.provider.Client.find(String(interaction.params.client_id));
  if (client && isFirstParty(client)) return finishConsent(deps, ctx, interaction);
  const account = interaction.session?.accountId ? await deps.users.findById(deps.db, interaction.session.accountId) : undefined;
  deps.views.respond(ctx, 200, 'consent', {
    title: 'Authorize',
    uid: interaction.uid,
    csrf: deps.csrf.tokenFor(interaction.uid),
    clientName: client?.clientName ?? String(interaction.params.client_id),
    username: account?.username,
    permissions: describeScopes(String(interaction.params.scope ?? '')),
  });
}

async function finishConsent(deps: LoginDeps, ctx: Context, interaction: Interaction): Promise<void> {
  const { provider } = deps;
  const accountId = interaction.session?.accountId;
  if (!accountId) return deps.forms.backToCurrentStep(ctx, interaction.uid);
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

export function registerConsentStep(router: Router, deps: LoginDeps): void {
  const { provider, forms } = deps;
  router.post('/interaction/:uid/consent', forms.noStore, forms.parse, forms.check, async (ctx) => {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid || interaction.prompt.name !== 'consent') return forms.backToCurrentStep(ctx, interaction.uid);
    if (forms.field(ctx, 'decision') !== 'allow') {
      return provider.interactionFinished(ctx.req, ctx.res, { error: 'access_denied', error_description: 'End-User denied the request' }, { mergeWithLastSubmission: false });
    }
    return finishConsent(deps, ctx, interaction);
  });
}
