// Who is asked for MFA, as one pure function: the company policy, the user's opt-in, whether an
// authenticator is registered, and whether the relying party demands MFA for this login (step-up).
import type { MfaPolicy } from '../companies/company.js';

export type MfaStep = 'none' | 'passcode' | 'register' | 'unmet';
export type MfaStatus = 'DISABLED' | 'PENDING' | 'ENABLED';

export interface MfaFacts {
  companyPolicy: MfaPolicy;
  optedIn: boolean;
  hasAuthenticator: boolean;
  /** The relying party asked for the MFA acr (acr_values). */
  stepUpRequested: boolean;
}

/** ENABLED asks everyone; AVAILABLE asks those who opted in; DISABLED asks nobody. */
export function isMfaRequired(companyPolicy: MfaPolicy, optedIn: boolean): boolean {
  return companyPolicy === 'ENABLED' || (companyPolicy === 'AVAILABLE' && optedIn);
}

export function decideMfa(facts: MfaFacts): MfaStep {
  if (!isMfaRequired(facts.companyPolicy, facts.optedIn) && !facts.stepUpRequested) return 'none';
  if (facts.hasAuthenticator) return 'passcode';
  // Under DISABLED nobody registers, so a step-up request cannot be met.
  return facts.companyPolicy === 'DISABLED' ? 'unmet' : 'register';
}

/** The user's MFA status as the admin screens show it. */
export function mfaStatusOf(companyPolicy: MfaPolicy, optedIn: boolean, hasAuthenticator: boolean): MfaStatus {
  if (!isMfaRequired(companyPolicy, optedIn)) return 'DISABLED';
  return hasAuthenticator ? 'ENABLED' : 'PENDING';
}
