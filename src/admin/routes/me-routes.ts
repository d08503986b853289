import { defineRoute } from '../route.js';
import { requireUser, type Principal } from '../principal.js';
import { ProblemError, problems } from '../problem.js';
import * as s from '../schemas.js';
import { userView } from '../views.js';
import type { AdminDeps } from '../admin-deps.js';
import { findUserRecord } from '../../accounts/user-search.js';
import { describeMyMfa, setMfaOptIn } from '../../mfa/my-mfa.js';
import { resetMfa } from '../../mfa/reset-mfa.js';

/** Self-service reset and opt-out need a login at most this old (RFC 9470 step-up otherwise). */
export const FRESH_AUTH_MAX_AGE_SECONDS = 15 * 60;

export function meRoutes(deps: AdminDeps) {
  const requireOwnMfaRole = (principal: Principal) => {
    const me = requireUser(principal);
    if (!me.roles.includes('MANAGE_OWN_MFA')) throw problems.forbidden('This needs the role MANAGE_OWN_MFA (Access to Manage Own MFA).');
    return me;
  };
  const requireFreshLogin = (me: ReturnType<typeof requireUser>) => {
    const age = me.authTime === undefined ? Infinity : Math.floor(deps.now().getTime() / 1000) - me.authTime;
    if (age > FRESH_AUTH_MAX_AGE_SECONDS) {
      throw new ProblemError(401, 'insufficient_user_authentication', 'Unauthorized', `Log in again (within ${FRESH_AUTH_MAX_AGE_SECONDS / 60} minutes) to do this.`, {
        headers: { 'WWW-Authenticate': `Bearer realm="callrec-auth-admin", error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=${FRESH_AUTH_MAX_AGE_SECONDS}` },
      });
    }
  };
  const myMfa = async (me: ReturnType<typeof requireUser>) => {
    const record = (await findUserRecord(deps.db, me.user.id))!;
    return describeMyMfa(record.companyMfaPolicy, record, record.hasAuthenticator);
  };

  return [
    defineRoute({
      method: 'get', path: '/admin/v1/me', tag: 'My MFA', summary: 'The calling user', auth: 'bearer',
      response: { status: 200, description: 'The caller', schema: s.meView },
      async handle({ principal }) {
        const me = requireUser(principal);
        return { status: 200, body: userView((await findUserRecord(deps.db, me.user.id))!) };
      },
    }),
    defineRoute({
      method: 'get', path: '/admin/v1/me/mfa', tag: 'My MFA', summary: 'My MFA settings', auth: 'bearer',
      response: { status: 200, description: 'My MFA', schema: s.myMfaView },
      async handle({ principal }) {
        return { status: 200, body: await myMfa(requireOwnMfaRole(principal)) };
      },
    }),
    defineRoute({
      method: 'put', path: '/admin/v1/me/mfa', tag: 'My MFA',
      summary: 'Opt in or out of MFA (only under the company policy AVAILABLE; opting out needs a fresh login)', auth: 'bearer',
      body: s.myMfaBody, errors: [409],
      response: { status: 200, description: 'My MFA', schema: s.myMfaView },
      async handle({ principal, body }) {
        const me = requireOwnMfaRole(principal);
        const current = await myMfa(me);
        if (!body.enabled && current.enabled) requireFreshLogin(me);
        await setMfaOptIn(deps, me.user, current.companyPolicy, body.enabled);
        return { status: 200, body: await myMfa(me) };
      },
    }),
    defineRoute({
      method: 'post', path: '/admin/v1/me/mfa/reset', tag: 'My MFA',
      summary: 'Reset my MFA (lost phone): register again at the next login; needs a fresh login', auth: 'bearer',
      body: s.reasonBody,
      response: { status: 200, description: 'My MFA after the reset', schema: s.myMfaView },
      async handle({ principal, body }) {
        const me = requireOwnMfaRole(principal);
        requireFreshLogin(me);
        await resetMfa(deps, { userId: me.user.id, actor: { type: 'USER', id: me.user.id }, reason: body.reason });
        return { status: 200, body: await myMfa(me) };
      },
    }),
  ];
}
