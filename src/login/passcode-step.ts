// The MFA One-Time Passcode step, and its fallback, a recovery code. A code is accepted once per
// user (the time step is claimed atomically in PostgreSQL); five wrong codes in 15 minutes lock the
// step for 30 minutes, per user, whatever the session, interaction or IP.
import type { Context } from 'koa';
import type { Router } from '@koa/router';
import { verifyTotp } from '../mfa/totp.js';
import { minutesUntil, type ThrottleState } from '../mfa/throttle.js';
import { recordAuditEvent } from '../audit/audit-log.js';
import type { LoginDeps } from './login-deps.js';
import { atStep, finishLogin, saveJourney, type Interaction } from './journey.js';

export const WRONG_CODE_MESSAGE = 'The code you entered is incorrect. Please try again.';
export const WRONG_RECOVERY_CODE_MESSAGE = 'That recovery code is not valid. Please check it and try again.';

export interface PasscodePageOptions {
  action: string;
  allowRecovery: boolean;
  /** Which form: the 6-digit passcode (default) or a recovery code. */
  form?: 'passcode' | 'recovery';
}

export function renderPasscodePage(
  deps: LoginDeps,
  ctx: Context,
  interaction: Interaction,
  status: number,
  options: PasscodePageOptions,
  extra: { error?: string; locked?: boolean } = {},
): void {
  const data = { uid: interaction.uid, csrf: deps.csrf.tokenFor(interaction.uid), ...extra };
  if (options.form === 'recovery') {
    deps.views.respond(ctx, status, 'recovery-code', { ...data, title: 'Use a recovery code' });
  } else {
    deps.views.respond(ctx, status, 'passcode', { ...data, title: 'MFA One-Time Passcode', action: options.action, allowRecovery: options.allowRecovery });
  }
}

export function lockedMessage(retryAfterSeconds: number): string {
  const minutes = minutesUntil(retryAfterSeconds);
  return `Too many attempts, try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}

/**
 * Reads the user's passcode throttle and, while it is locked, answers 429. Unlocked, the state says
 * how many failures the window holds (a success resets them only when there are some).
 */
export async function checkPasscodeThrottle(deps: LoginDeps, ctx: Context, interaction: Interaction, userId: string, options: PasscodePageOptions): Promise<ThrottleState> {
  const state = await deps.throttles.passcode.check(userId);
  if (state.locked) {
    ctx.set('Retry-After', String(state.retryAfterSeconds));
    renderPasscodePage(deps, ctx, interaction, 429, options, { error: lockedMessage(state.retryAfterSeconds), locked: true });
  }
  return state;
}

export async function recordPasscodeFailure(deps: LoginDeps, ctx: Context, interaction: Interaction, userId: string, options: PasscodePageOptions): Promise<void> {
  const { lockedNow } = await deps.throttles.passcode.recordFailure(userId);
  deps.metrics.passcodeFailures.inc({ kind: options.form === 'recovery' ? 'recovery_code' : 'totp' });
  if (lockedNow) deps.metrics.lockouts.inc({ kind: 'passcode' });
  const user = await deps.users.findById(deps.db, userId);
  if (user) {
    await deps.db.transaction(async (trx) => {
      const base = { companyId: user.companyId, actor: { type: 'USER' as const, id: user.id }, target: { type: 'user', id: user.id } };
      await recordAuditEvent(trx, { ...base, type: 'mfa.passcode_failed', details: { method: options.form === 'recovery' ? 'recovery_code' : 'totp' } });
      if (lockedNow) await recordAuditEvent(trx, { ...base, type: 'mfa.lockout_started' });
    });
  }
  if (lockedNow) {
    const state = await deps.throttles.passcode.check(userId);
    const retryAfter = state.locked ? state.retryAfterSeconds : 60;
    ctx.set('Retry-After', String(retryAfter));
    return renderPasscodePage(deps, ctx, interaction, 429, options, { error: lockedMessage(retryAfter), locked: true });
  }
  renderPasscodePage(deps, ctx, interaction, 401, options, { error: options.form === 'recovery' ? WRONG_RECOVERY_CODE_MESSAGE : WRONG_CODE_MESSAGE });
}

export function registerPasscodeStep(router: Router, deps: LoginDeps): void {
  const { provider, forms } = deps;
  const passcodeOptions: PasscodePageOptions = { action: 'mfa/passcode', allowRecovery: true };
  const recoveryOptions: PasscodePageOptions = { action: 'mfa/recovery', allowRecovery: true, form: 'recovery' };

  router.post('/interaction/:uid/mfa/passcode', forms.noStore, forms.parse, forms.check, async (ctx) => {
    const at = await atStep(provider, forms, ctx, 'passcode');
    if (!at) return;
    const { interaction, state } = at;
    const throttle = await checkPasscodeThrottle(deps, ctx, interaction, state.accountId, passcodeOptions);
    if (throttle.locked) return;

    // No authenticator (reset meanwhile) and a wrong code give the same answer.
    const authenticator = await deps.authenticators.find(deps.db, state.accountId);
    const check = authenticator ? await verifyTotp({ secret: authenticator.secret, code: forms.field(ctx, 'code'), now: deps.now() }) : { ok: false as const };
    const accepted = check.ok && (await deps.authenticators.claimStep(deps.db, state.accountId, check.step));
    if (!accepted) return recordPasscodeFailure(deps, ctx, interaction, state.accountId, passcodeOptions);

    if (throttle.failures > 0) await deps.throttles.passcode.reset(state.accountId);
    await finishLogin(deps, ctx, state.accountId, 'passcode');
  });

  router.post('/interaction/:uid/mfa/recovery', forms.noStore, forms.parse, forms.check, async (ctx) => {
    const at = await atStep(provider, forms, ctx, 'passcode');
    if (!at) return;
    const { interaction, state } = at;
    const throttle = await checkPasscodeThrottle(deps, ctx, interaction, state.accountId, recoveryOptions);
    if (throttle.locked) return;

    const user = await deps.users.findById(deps.db, state.accountId);
    const used = user ? await deps.db.transaction(async (trx) => {
      if (!(await deps.recoveryCodes.use(trx, user.id, forms.field(ctx, 'code')))) return undefined;
      const remaining = await deps.recoveryCodes.countUnused(trx, user.id);
      await recordAuditEvent(trx, { type: 'mfa.recovery_code_used', companyId: user.companyId, actor: { type: 'USER', id: user.id }, target: { type: 'user', id: user.id }, details: { remaining } });
      return { remaining };
    }) : undefined;
    if (!used) return recordPasscodeFailure(deps, ctx, interaction, state.accountId, recoveryOptions);

    if (throttle.failures > 0) await deps.throttles.passcode.reset(state.accountId);
    await saveJourney(interaction, { step: 'recovery-accepted', accountId: state.accountId, remaining: used.remaining });
    forms.backToCurrentStep(ctx, interaction.uid);
  });

  router.post('/interaction/:uid/mfa/recovery-accepted', forms.noStore, forms.parse, forms.check, async (ctx) => {
    const at = await atStep(provider, forms, ctx, 'recovery-accepted');
    if (at) await finishLogin(deps, ctx, at.state.accountId, 'recovery-code');
  });
}

export async function renderPasscodeStep(deps: LoginDeps, ctx: Context, interaction: Interaction, accountId: string, form: 'passcode' | 'recovery'): Promise<void> {
  const options: PasscodePageOptions = form === 'recovery'
    ? { action: 'mfa/recovery', allowRecovery: true, form: 'recovery' }
    : { action: 'mfa/passcode', allowRecovery: true };
  // A locked user sees the lockout right away, not after typing a code.
  if ((await checkPasscodeThrottle(deps, ctx, interaction, accountId, options)).locked) return;
  renderPasscodePage(deps, ctx, interaction, 200, options);
}

export function renderRecoveryAccepted(deps: LoginDeps, ctx: Context, interaction: Interaction, remaining: number): void {
  deps.views.respond(ctx, 200, 'recovery-accepted', { uid: interaction.uid, csrf: deps.csrf.tokenFor(interaction.uid), title: 'Recovery code accepted', remaining });
}
