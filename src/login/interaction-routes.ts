// The login journey's HTTP surface. GET /interaction/:uid shows the page for the current step (see
// journey.ts for the steps); each step's POST handler lives in its own file and reloads the
// interaction, checks it is at its step, and otherwise sends the browser back here.
import { Router } from '@koa/router';
import type { LoginDeps } from './login-deps.js';
import { readJourney } from './journey.js';
import { registerPasswordStep, renderPasswordStep } from './password-step.js';
import { registerRegistrationSteps, renderRegistrationStep } from './registration-steps.js';
import { registerPasscodeStep, renderPasscodeStep, renderRecoveryAccepted } from './passcode-step.js';
import { registerConsentStep, renderConsentStep } from './consent-step.js';

export function createInteractionRoutes(deps: LoginDeps): Router {
  const router = new Router();

  router.get('/interaction/:uid', deps.forms.noStore, async (ctx) => {
    const interaction = await deps.provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid) return deps.forms.backToCurrentStep(ctx, interaction.uid);
    if (interaction.prompt.name === 'consent') return renderConsentStep(deps, ctx, interaction);
    if (interaction.prompt.name !== 'login') {
      return deps.views.message(ctx, 400, { title: 'Login problem', heading: 'We could not log you in', paragraphs: ['Please go back to the application and start again.'] });
    }
    const state = readJourney(interaction);
    if (!state) return renderPasswordStep(deps, ctx, interaction, 200);
    switch (state.step) {
      case 'passcode':
        return renderPasscodeStep(deps, ctx, interaction, state.accountId, ctx.query.method === 'recovery' ? 'recovery' : 'passcode');
      case 'recovery-accepted':
        return renderRecoveryAccepted(deps, ctx, interaction, state.remaining);
      default:
        return renderRegistrationStep(deps, ctx, interaction, state);
    }
  });

  registerPasswordStep(router, deps);
  registerRegistrationSteps(router, deps);
  registerPasscodeStep(router, deps);
  registerConsentStep(router, deps);
  return router;
}
