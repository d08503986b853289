// Authenticator registration, the guide's three pages: intro → QR code (with "Can't scan image?")
// → first passcode. Nothing is stored for the user until that passcode is right; the pending
// secret lives sealed in the interaction. Then ten recovery codes are shown once.
import type { Context } from 'koa';
import type { Router } from '@koa/router';
import { groupSecret, totpKeyUri, verifyTotp } from '../mfa/totp.js';
import { generateRecoveryCodes } from '../mfa/recovery-codes.js';
import { recordAuditEvent } from '../audit/audit-log.js';
import type { LoginDeps } from './login-deps.js';
import { atStep, finishLogin, saveJourney, type Interaction, type JourneyState, type RegistrationState } from './journey.js';
import { checkPasscodeThrottle, recordPasscodeFailure, renderPasscodePage } from './passcode-step.js';

export async function renderRegistrationStep(deps: LoginDeps, ctx: Context, interaction: Interaction, state: JourneyState): Promise<void> {
  const base = { uid: interaction.uid, csrf: deps.csrf.tokenFor(interaction.uid) };
  switch (state.step) {
    case 'register-intro':
      return deps.views.respond(ctx, 200, 'mfa-intro', { ...base, title: 'MFA Registration' });
    case 'register-scan': {
      const user = await deps.users.findById(deps.db, state.accountId);
      const secret = deps.authenticators.openPendingSecret(state.accountId, state.pendingSecret);
      const uri = totpKeyUri({ issuer: deps.mfaIssuer, username: user?.username ?? '', secret });
      // Loaded on first use: only registrations draw QR codes, and the module is ~10 MiB resident.
      const { default: QRCode } = await import('qrcode');
      const qrDataUrl = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 220 });
      return deps.views.respond(ctx, 200, 'mfa-scan', { ...base, title: 'MFA Registration', qrDataUrl, groupedSecret: groupSecret(secret), label: `${deps.mfaIssuer}: ${user?.username ?? ''}` });
    }
    case 'register-verify': {
      const options = { action: 'mfa/verify-registration', allowRecovery: false };
      if ((await checkPasscodeThrottle(deps, ctx, interaction, state.accountId, options)).locked) return;
      return renderPasscodePage(deps, ctx, interaction, 200, options);
    }
    case 'recovery-codes': {
      const codes = JSON.parse(deps.box.open(state.sealedCodes, `recovery-codes:${interaction.uid}`).toString('utf8')) as string[];
      return deps.views.respond(ctx, 200, 'recovery-codes', { ...base, title: 'Save your recovery codes', codes });
    }
    default:
      return deps.forms.backToCurrentStep(ctx, interaction.uid);
  }
}

export function registerRegistrationSteps(router: Router, deps: LoginDeps): void {
  const { provider, forms } = deps;

  const moveTo = async (ctx: Context, interaction: Interaction, state: RegistrationState, step: RegistrationState['step']) => {
    await saveJourney(interaction, { step, accountId: state.accountId, pendingSecret: state.pendingSecret });
    forms.backToCurrentStep(ctx, interaction.uid);
  };

  router.post('/interaction/:uid/mfa/intro', forms.noStore, forms.parse, forms.check, async (ctx) => {
    const at = await atStep(provider, forms, ctx, 'register-intro');
    if (at) await moveTo(ctx, at.interaction, at.state, 'register-scan');
  });

  router.post('/interaction/:uid/mfa/scan', forms.noStore, forms.parse, forms.check, async (ctx) => {
    const at = await atStep(provider, forms, ctx, 'register-scan');
    if (at) await moveTo(ctx, at.interaction, at.state, forms.field(ctx, 'action') === 'back' ? 'register-intro' : 'register-verify');
  });

  router.post('/interaction/:uid/mfa/verify-registration', forms.noStore, forms.parse, forms.check, async (ctx) => {
    const at = await atStep(provider, forms, ctx, 'register-verify');
    if (!at) return;
    const { interaction, state } = at;
    const options = { action: 'mfa/verify-registration', allowRecovery: false };
    if ((await checkPasscodeThrottle(deps, ctx, interaction, state.accountId, options)).locked) return;

    const secret = deps.authenticators.openPendingSecret(state.accountId, state.pendingSecret);
    const check = await verifyTotp({ secret, code: forms.field(ctx, 'code'), now: deps.now() });
    const user = await deps.users.findById(deps.db, state.accountId);
    if (!check.ok || !user) return recordPasscodeFailure(deps, ctx, interaction, state.accountId, options);

    const codes = generateRecoveryCodes();
    const activated = await deps.db.transaction(async (trx) => {
      if (!(await deps.authenticators.activate(trx, { userId: user.id, companyId: user.companyId, secret, step: check.step }))) return false;
      await deps.recoveryCodes.replace(trx, user.id, codes);
      await recordAuditEvent(trx, { type: 'mfa.authenticator_registered', companyId: user.companyId, actor: { type: 'USER', id: user.id }, target: { type: 'user', id: user.id } });
      return true;
    });
    if (!activated) {
      // Another login registered an authenticator meanwhile: this one must now use it.
      await saveJourney(interaction, { step: 'passcode', accountId: user.id });
      return forms.backToCurrentStep(ctx, interaction.uid);
    }
    deps.metrics.mfaRegistrations.inc();
    await deps.throttles.passcode.reset(user.id);
    await saveJourney(interaction, { step: 'recovery-codes', accountId: user.id, sealedCodes: deps.box.seal(JSON.stringify(codes), `recovery-codes:${interaction.uid}`) });
    forms.backToCurrentStep(ctx, interaction.uid);
  });

  router.post('/interaction/:uid/mfa/recovery-codes', forms.noStore, forms.parse, forms.check, async (ctx) => {
    const at = await atStep(provider, forms, ctx, 'recovery-codes');
    if (at) await finishLogin(deps, ctx, at.state.accountId, 'passcode');
  });
}
