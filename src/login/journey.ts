// The login journey's state between steps. It lives in the oidc-provider interaction (Redis in
// production, so any replica continues any login) under `result.callrec`. That state never holds a
// `login` result: only finishLogin writes one, after the steps the decision asked for have passed.
//
//   password ──(no MFA)──────────────────────────────────────────────► finished: amr [pwd]
//      │ ├─(authenticator)──► passcode ──(code ok)────────────────────► finished: amr [pwd, otp, mfa]
//      │ │                       └─► recovery code ──► recovery-accepted ► finished: amr [pwd, mfa, rc]
//      │ └─(none yet)──► register-intro ⇄ register-scan ──► register-verify ──► recovery-codes ──► finished
//      └─(step-up under DISABLED, no authenticator)──► error unmet_authentication_requirements
import type Provider from 'oidc-provider';
import type { Context } from 'koa';
import { ACR, AMR } from '../oidc/acr.js';
import type { Forms } from './forms.js';
import type { Metrics } from '../metrics/metrics.js';

export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

type RegistrationStep = 'register-intro' | 'register-scan' | 'register-verify';
/** The registration pages carry the pending secret, sealed, until the first passcode activates it. */
export type RegistrationState = { [S in RegistrationStep]: { step: S; accountId: string; pendingSecret: string } }[RegistrationStep];

export type JourneyState =
  | RegistrationState
  | { step: 'passcode'; accountId: string }
  | { step: 'recovery-codes'; accountId: string; sealedCodes: string }
  | { step: 'recovery-accepted'; accountId: string; remaining: number };

export type JourneyStep = JourneyState['step'];

/** The recovery-code marker in amr (RFC 8176 has none for it). */
export const AMR_RECOVERY_CODE = 'rc';

export type LoginMethod = 'password' | 'passcode' | 'recovery-code';

const AMR_BY_METHOD: Record<LoginMethod, string[]> = {
  password: [AMR.PASSWORD],
  passcode: [AMR.PASSWORD, AMR.OTP, AMR.MFA],
  'recovery-code': [AMR.PASSWORD, AMR.MFA, AMR_RECOVERY_CODE],
};

export function readJourney(interaction: Interaction): JourneyState | undefined {
  const state = (interaction.result as { callrec?: JourneyState } | undefined)?.callrec;
  // The journey only continues for the account the password step authenticated.
  return state && typeof state.accountId === 'string' ? state : undefined;
}

export async function saveJourney(interaction: Interaction, state: JourneyState): Promise<void> {
  interaction.result = { callrec: state };
  await interaction.persist();
}

export async function finishLogin(deps: { provider: Provider; metrics: Metrics }, ctx: Context, accountId: string, method: LoginMethod): Promise<void> {
  deps.metrics.loginsSucceeded.inc({ method });
  await deps.provider.interactionFinished(ctx.req, ctx.res, {
    login: {
      accountId,
      amr: AMR_BY_METHOD[method],
      acr: method === 'password' ? ACR.PASSWORD : ACR.MFA,
      // A browser-session cookie: there is no "remember me" in the product.
      remember: false,
    },
  }, { mergeWithLastSubmission: false });
}

export function stepUpRequested(params: Record<string, unknown>): boolean {
  return typeof params.acr_values === 'string' && params.acr_values.split(' ').includes(ACR.MFA);
}

/**
 * Loads the interaction and its journey for a step's form. Unless the interaction is at `step`
 * (a stale form, a replay, another tab), answers with a redirect to the current step instead.
 */
export async function atStep<S extends JourneyStep>(provider: Provider, forms: Forms, ctx: Context, step: S) {
  const interaction = await provider.interactionDetails(ctx.req, ctx.res);
  const state = readJourney(interaction);
  const uid = (ctx as unknown as { params: { uid: string } }).params.uid;
  if (interaction.uid !== uid || interaction.prompt.name !== 'login' || state?.step !== step) {
    forms.backToCurrentStep(ctx, interaction.uid);
    return undefined;
  }
  return { interaction, state: state as Extract<JourneyState, { step: S }> };
}
