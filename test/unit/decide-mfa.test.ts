// Who is asked for MFA, written out as the full table (policy × opt-in × authenticator × step-up)
// rather than re-derived, so a change to the rules shows up here as a changed row.
import { describe, expect, it } from '@jest/globals';
import { decideMfa, isMfaRequired, mfaStatusOf, type MfaStatus, type MfaStep } from '../../src/mfa/decide-mfa.js';
import { MFA_POLICIES, type MfaPolicy } from '../../src/companies/company.js';

type Row = [policy: MfaPolicy, optedIn: boolean, hasAuthenticator: boolean, stepUp: boolean, expected: MfaStep];

const DECISIONS: Row[] = [
  // DISABLED: nobody is asked, registered authenticators are kept but unused…
  ['DISABLED', false, false, false, 'none'],
  ['DISABLED', false, true, false, 'none'],
  ['DISABLED', true, false, false, 'none'],
  ['DISABLED', true, true, false, 'none'],
  // …unless the RP demands MFA: a passcode if there is an authenticator, otherwise it cannot be met.
  ['DISABLED', false, false, true, 'unmet'],
  ['DISABLED', false, true, true, 'passcode'],
  ['DISABLED', true, false, true, 'unmet'],
  ['DISABLED', true, true, true, 'passcode'],

  // AVAILABLE: those who opted in are asked; the others only on step-up.
  ['AVAILABLE', false, false, false, 'none'],
  ['AVAILABLE', false, true, false, 'none'],
  ['AVAILABLE', true, false, false, 'register'],
  ['AVAILABLE', true, true, false, 'passcode'],
  ['AVAILABLE', false, false, true, 'register'],
  ['AVAILABLE', false, true, true, 'passcode'],
  ['AVAILABLE', true, false, true, 'register'],
  ['AVAILABLE', true, true, true, 'passcode'],

  // ENABLED: everyone, opted in or not.
  ['ENABLED', false, false, false, 'register'],
  ['ENABLED', false, true, false, 'passcode'],
  ['ENABLED', true, false, false, 'register'],
  ['ENABLED', true, true, false, 'passcode'],
  ['ENABLED', false, false, true, 'register'],
  ['ENABLED', false, true, true, 'passcode'],
  ['ENABLED', true, false, true, 'register'],
  ['ENABLED', true, true, true, 'passcode'],
];

const STATUSES: [policy: MfaPolicy, optedIn: boolean, hasAuthenticator: boolean, expected: MfaStatus][] = [
  ['DISABLED', false, false, 'DISABLED'],
  ['DISABLED', false, true, 'DISABLED'],
  ['DISABLED', true, false, 'DISABLED'],
  ['DISABLED', true, true, 'DISABLED'],
  ['AVAILABLE', false, false, 'DISABLED'],
  ['AVAILABLE', false, true, 'DISABLED'],
  ['AVAILABLE', true, false, 'PENDING'],
  ['AVAILABLE', true, true, 'ENABLED'],
  ['ENABLED', false, false, 'PENDING'],
  ['ENABLED', false, true, 'ENABLED'],
  ['ENABLED', true, false, 'PENDING'],
  ['ENABLED', true, true, 'ENABLED'],
];

describe('decideMfa', () => {
  it('when the table is read, then it covers every combination exactly once', () => {
    const keys = new Set(DECISIONS.map(([p, o, a, s]) => `${p}/${o}/${a}/${s}`));
    expect(keys.size).toBe(MFA_POLICIES.length * 2 * 2 * 2);
    expect(DECISIONS).toHaveLength(keys.size);
  });

  it.each(DECISIONS)('when the policy is %s, opted in %s, authenticator %s and step-up %s, then the step is %s', (companyPolicy, optedIn, hasAuthenticator, stepUpRequested, expected) => {
    expect(decideMfa({ companyPolicy, optedIn, hasAuthenticator, stepUpRequested })).toBe(expected);
  });

  it('when the policy is DISABLED and no step-up is requested, then nobody is ever asked', () => {
    for (const optedIn of [false, true]) {
      for (const hasAuthenticator of [false, true]) {
        expect(decideMfa({ companyPolicy: 'DISABLED', optedIn, hasAuthenticator, stepUpRequested: false })).toBe('none');
      }
    }
  });

  it('when a step-up is requested under DISABLED, then a user with an authenticator gets the passcode and one without cannot be served', () => {
    expect(decideMfa({ companyPolicy: 'DISABLED', optedIn: false, hasAuthenticator: true, stepUpRequested: true })).toBe('passcode');
    expect(decideMfa({ companyPolicy: 'DISABLED', optedIn: false, hasAuthenticator: false, stepUpRequested: true })).toBe('unmet');
  });

  it('when the policy is AVAILABLE and the user opted in without an authenticator, then the user registers', () => {
    expect(decideMfa({ companyPolicy: 'AVAILABLE', optedIn: true, hasAuthenticator: false, stepUpRequested: false })).toBe('register');
  });

  it('when MFA applies in any way, then the answer is never none', () => {
    for (const [companyPolicy, optedIn, hasAuthenticator, stepUpRequested] of DECISIONS) {
      if (!isMfaRequired(companyPolicy, optedIn) && !stepUpRequested) continue;
      expect({ companyPolicy, optedIn, hasAuthenticator, stepUpRequested, step: decideMfa({ companyPolicy, optedIn, hasAuthenticator, stepUpRequested }) })
        .not.toMatchObject({ step: 'none' });
    }
  });
});

describe('isMfaRequired', () => {
  it.each<[MfaPolicy, boolean, boolean]>([
    ['DISABLED', false, false],
    ['DISABLED', true, false],
    ['AVAILABLE', false, false],
    ['AVAILABLE', true, true],
    ['ENABLED', false, true],
    ['ENABLED', true, true],
  ])('when the policy is %s and opted in is %s, then MFA is required: %s', (policy, optedIn, expected) => {
    expect(isMfaRequired(policy, optedIn)).toBe(expected);
  });
});

describe('mfaStatusOf', () => {
  it('when the table is read, then it covers every combination exactly once', () => {
    expect(new Set(STATUSES.map(([p, o, a]) => `${p}/${o}/${a}`)).size).toBe(MFA_POLICIES.length * 2 * 2);
    expect(STATUSES).toHaveLength(MFA_POLICIES.length * 2 * 2);
  });

  it.each(STATUSES)('when the policy is %s, opted in %s and authenticator %s, then the status is %s', (policy, optedIn, hasAuthenticator, expected) => {
    expect(mfaStatusOf(policy, optedIn, hasAuthenticator)).toBe(expected);
  });

  it('when the status is PENDING, then the next login registers; when ENABLED, it asks for a passcode', () => {
    for (const [policy, optedIn, hasAuthenticator, status] of STATUSES) {
      const step = decideMfa({ companyPolicy: policy, optedIn, hasAuthenticator, stepUpRequested: false });
      const expected = { DISABLED: 'none', PENDING: 'register', ENABLED: 'passcode' }[status];
      expect({ policy, optedIn, hasAuthenticator, step }).toEqual({ policy, optedIn, hasAuthenticator, step: expected });
    }
  });
});
