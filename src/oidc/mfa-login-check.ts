// An extra check on oidc-provider's login prompt: an existing session that did not pass MFA is sent
// through the login journey again when MFA now applies to it — the company switched to ENABLED, the
// user opted in, or the relying party asks for the MFA acr. No silent SSO past a policy change.
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { decideMfa } from '../mfa/decide-mfa.js';
import { loadMfaFacts, type MfaFactsDeps } from '../mfa/mfa-facts.js';
import { stepUpRequested } from '../login/journey.js';
import { ACR } from './acr.js';

const { Check, base } = interactionPolicy;

export function createInteractionPolicy(deps: MfaFactsDeps): interactionPolicy.Prompt[] {
  const policy = base();
  const login = policy.get('login')!;
  login.checks.add(new Check('mfa_required', 'multi-factor authentication is required', async (ctx: KoaContextWithOIDC) => {
    const { oidc } = ctx;
    const accountId = oidc.session?.accountId;
    // No session: the no_session check asks for login. A login just finished in this request went
    // through the journey, which made this same decision.
    if (!accountId || oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
    if (oidc.session!.acr === ACR.MFA) return Check.NO_NEED_TO_PROMPT;
    const facts = await loadMfaFacts(deps, accountId);
    if (!facts) return Check.REQUEST_PROMPT;
    return decideMfa({ ...facts, stepUpRequested: stepUpRequested(oidc.params as Record<string, unknown>) }) === 'none'
      ? Check.NO_NEED_TO_PROMPT
      : Check.REQUEST_PROMPT;
  }));
  return policy;
}
