// Step 1: username and password, then the MFA decision. Throttled per username (10 failures in 15
// minutes lock it for 30, answered exactly like a wrong password) and per client IP.
import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import type { Router } from '@koa/router';
import { authenticatePassword } from '../accounts/authenticate-password.js';
import { decideMfa } from '../mfa/decide-mfa.js';
import { loadMfaFacts } from '../mfa/mfa-facts.js';
import { createTotpSecret } from '../mfa/totp.js';
import { minutesUntil } from '../mfa/throttle.js';
import { recordAuditEvent } from '../audit/audit-log.js';
import type { LoginDeps } from './login-deps.js';
import { finishLogin, saveJourney, stepUpRequested, type Interaction } from './journey.js';

export const INVALID_LOGIN_MESSAGE = 'The username or password you entered is incorrect.';

/** Throttle keys never hold the username in clear. */
function usernameKey(username: string): string {
  return createHash('sha256').update(username.toLowerCase()).digest('base64url');
}

export function renderPasswordStep(deps: LoginDeps, ctx: Context, interaction: Interaction, status: number, extra: { error?: string; username?: string } = {}): void {
  deps.views.respond(ctx, status, 'login', {
    title: 'Call Recording Login',
    uid: interaction.uid,
    csrf: deps.csrf.tokenFor(interaction.uid),
    username: extra.username ?? (typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : ''),
    error: extra.error,
  });
}

export function registerPasswordStep(router: Router, deps: LoginDeps): void {
  const { provider, forms, throttles } = deps;

  router.post('/interaction/:uid/login', forms.noStore, forms.parse, forms.check, async (ctx) => {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid || interaction.prompt.name !== 'login') return forms.backToCurrentStep(ctx, interaction.uid);

    const username = forms.field(ctx, 'username').trim();
    const password = forms.field(ctx, 'password');
    const userKey = usernameKey(username);
    // Both throttles are checked before any hashing (one pipelined Redis round trip).
    const [ipState, userState] = await Promise.all([throttles.ip.check(ctx.ip), throttles.password.check(userKey)]);
    if (ipState.locked) {
      deps.metrics.loginsFailed.inc({ step: 'ip_locked' });
      return deps.views.respond(ctx, 429, 'login', {
        title: 'Call Recording Login', uid: interaction.uid, csrf: deps.csrf.tokenFor(interaction.uid), username,
        error: `Too many failed logins from your network, try again in ${minutesUntil(ipState.retryAfterSeconds)} minutes.`,
      });
    }

    const locked = userState.locked;
    // A locked username still costs one hash, so its answer matches a wrong password in time too.
    const check = locked ? (await deps.hasher.verifyDummy(password.slice(0, 512)), { ok: false as const }) : await authenticatePassword(deps, username, password);
    if (!check.ok) {
      const [{ lockedNow }] = await Promise.all([throttles.password.recordFailure(userKey), throttles.ip.recordFailure(ctx.ip)]);
      deps.metrics.loginsFailed.inc({ step: 'password' });
      if (lockedNow) {
        deps.metrics.lockouts.inc({ kind: 'password' });
        const user = (await deps.users.findCredentialsByUsername(deps.db, username))?.user;
        if (user) {
          await recordAuditEvent(deps.db, { type: 'login.password_lockout_started', companyId: user.companyId, actor: { type: 'USER', id: user.id }, target: { type: 'user', id: user.id } });
        }
      }
      deps.logger.info({ event: 'login.password_failed' }, 'password check failed');
      return renderPasswordStep(deps, ctx, interaction, 401, { error: INVALID_LOGIN_MESSAGE, username });
    }
    // Nothing counted against this username: no reset, one Redis round trip less per login.
    if (!userState.locked && userState.failures > 0) await throttles.password.reset(userKey);

    const facts = await loadMfaFacts(deps, check.user.id);
    const decision = facts ? decideMfa({ ...facts, stepUpRequested: stepUpRequested(interaction.params) }) : 'unmet';
    switch (decision) {
      case 'none':
        return finishLogin(deps, ctx, check.user.id, 'password');
      case 'unmet':
        return provider.interactionFinished(ctx.req, ctx.res, {
          error: 'unmet_authentication_requirements',
          error_description: 'multi-factor authentication was requested but cannot be set up for this account',
        }, { mergeWithLastSubmission: false });
      case 'passcode':
        await saveJourney(interaction, { step: 'passcode', accountId: check.user.id });
        return forms.backToCurrentStep(ctx, interaction.uid);
      case 'register':
        await saveJourney(interaction, {
          step: 'register-intro',
          accountId: check.user.id,
          pendingSecret: deps.authenticators.sealPendingSecret(check.user.id, createTotpSecret()),
        });
        return forms.backToCurrentStep(ctx, interaction.uid);
    }
  });
}
