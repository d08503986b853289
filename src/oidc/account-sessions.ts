// Ends everything a user is logged in with: provider sessions (relying parties with a back-channel
// logout URI get a logout token) and every grant with its tokens, refresh tokens included. Used by
// MFA resets (self and admin) and deactivation.
import type Provider from 'oidc-provider';
import type { Logger } from '../logger.js';
import type { OidcStore } from './oidc-store.js';
import { accountIndexKeys } from './adapter.js';

interface StoredSession {
  accountId?: string;
  authorizations?: Record<string, { sid?: string; grantId?: string }>;
}

/** The part of oidc-provider's Client model its type definitions leave out. */
interface BackchannelClient {
  backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid: string): Promise<void>;
}

export interface AccountSessions {
  endAll(accountId: string): Promise<{ sessions: number; grants: number }>;
}

export function createAccountSessions(deps: { provider: () => Provider; store: OidcStore; prefix: string; logger: Logger }): AccountSessions {
  const keys = accountIndexKeys(deps.prefix);
  return {
    async endAll(accountId) {
      const provider = deps.provider();
      const grantIds = new Set(await deps.store.setMembers(keys.grants(accountId)));
      let sessions = 0;
      for (const sessionId of await deps.store.setMembers(keys.sessions(accountId))) {
        const session = (await provider.Session.adapter.find(sessionId)) as StoredSession | undefined;
        if (!session || session.accountId !== accountId) continue;
        sessions += 1;
        for (const [clientId, authorization] of Object.entries(session.authorizations ?? {})) {
          if (authorization.grantId) grantIds.add(authorization.grantId);
          const client = (await provider.Client.find(clientId)) as BackchannelClient | undefined;
          if (client?.backchannelLogoutUri) {
            await client.backchannelLogout(accountId, authorization.sid ?? '').catch((err: Error) => {
              deps.logger.warn({ clientId, err: { message: err.message } }, 'back-channel logout failed');
            });
          }
        }
        await provider.Session.adapter.destroy(sessionId);
      }
      let grants = 0;
      for (const grantId of grantIds) {
        // The account's grant index may still list grants that already ended: count live ones.
        if (await provider.Grant.adapter.find(grantId)) grants += 1;
        await provider.Grant.adapter.destroy(grantId);
        await provider.Grant.adapter.revokeByGrantId(grantId);
      }
      return { sessions, grants };
    },
  };
}
