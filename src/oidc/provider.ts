// oidc-provider configured for production: code flow only, PKCE (S256) for every client, refresh
// token rotation, JWT access tokens for the admin API audience, no dev interactions. Every page the
// provider itself renders (errors, logout) uses our templates.
import { Provider, errors, type interactionPolicy, type Configuration, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import type { JWK } from 'jose';
import type { Views } from '../http/views.js';
import { ACR } from './acr.js';
import { CLAIMS_BY_SCOPE } from './account-claims.js';
import { describeOidcError } from './error-pages.js';
import { loadFirstPartyGrant } from './first-party-grant.js';
import { isDependencyError } from '../http/dependency-errors.js';

export interface ProviderDeps {
  issuer: string;
  adapter: NonNullable<Configuration['adapter']>;
  jwks: { keys: JWK[] };
  cookieKeys: string[];
  findAccount: NonNullable<Configuration['findAccount']>;
  views: Views;
  adminAudience: string;
  trustProxy: boolean;
  ttl: { session: number; accessToken: number; refreshToken: number };
  onError?: (ctx: KoaContextWithOIDC, error: Error) => void;
  interactionPolicy: interactionPolicy.Prompt[];
  /** Let back-channel logout reach private/loopback addresses (in-cluster relying parties). */
  allowPrivateNetworkFetch: boolean;
}

export const ADMIN_SCOPE = 'admin';
/** Claim in admin access tokens: 'user' or 'client'. */
export const PRINCIPAL_CLAIM = 'urn:callrec:principal';

/** Only first-party apps and tooling clients may obtain tokens for the admin API. */
function mayUseAdminApi(client: KoaContextWithOIDC['oidc']['client']): boolean {
  return Boolean(client && (client['urn:callrec:first_party'] || client['urn:callrec:kind'] === 'TOOLING'));
}

export function createProvider(deps: ProviderDeps): Provider {
  const { views } = deps;
  const configuration: Configuration = {
    adapter: deps.adapter,
    jwks: deps.jwks as Configuration['jwks'],
    findAccount: deps.findAccount,
    claims: CLAIMS_BY_SCOPE,
    scopes: ['openid', 'offline_access', 'profile', 'email', 'callrec', ADMIN_SCOPE],
    acrValues: [ACR.PASSWORD, ACR.MFA],
    // The recording app reads its claims from the ID token itself, not from userinfo.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    extraClientMetadata: { properties: ['urn:callrec:first_party', 'urn:callrec:kind', 'urn:callrec:company_id'] },
    clientDefaults: { grant_types: ['authorization_code'], response_types: ['code'], id_token_signed_response_alg: 'RS256' },
    cookies: {
      keys: deps.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    ttl: {
      AccessToken: deps.ttl.accessToken,
      AuthorizationCode: 60,
      ClientCredentials: deps.ttl.accessToken,
      IdToken: 3600,
      Interaction: 30 * 60,
      Session: deps.ttl.session,
      Grant: deps.ttl.refreshToken,
      RefreshToken: deps.ttl.refreshToken,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: deps.interactionPolicy },
    // oidc-provider refuses private and loopback addresses by default (SSRF protection). Back-channel
    // logout URIs are registered by administrators, and relying parties often run in the cluster.
    fetch: (url, options) => {
      if (deps.allowPrivateNetworkFetch) delete (options as { dispatcher?: unknown }).dispatcher;
      return globalThis.fetch(url, options as RequestInit);
    },
    loadExistingGrant: loadFirstPartyGrant,
    // Admin API tokens say whose they are: a user (with the time of the login behind it, for
    // the 15-minute freshness rule) or a tooling client acting for itself.
    async extraTokenClaims(ctx, token) {
      if (!('accountId' in token) || !token.accountId) return { [PRINCIPAL_CLAIM]: 'client' };
      const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken;
      return { [PRINCIPAL_CLAIM]: 'user', ...(source?.authTime ? { auth_time: source.authTime } : {}), ...(source?.acr ? { acr: source.acr } : {}) };
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      clientCredentials: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          views.respond(ctx, 200, 'logout', { title: 'Log out', form, clientName: ctx.oidc.client?.clientName });
        },
        async postLogoutSuccessSource(ctx) {
          views.message(ctx, 200, { title: 'Logged out', heading: 'You have logged out', paragraphs: ['You can close this window.'] });
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => false,
        async getResourceServerInfo(ctx, resourceIndicator, client): Promise<ResourceServer> {
          if (resourceIndicator !== deps.adminAudience || !mayUseAdminApi(client ?? ctx.oidc.client)) {
            throw new errors.InvalidTarget();
          }
          return {
            scope: ADMIN_SCOPE,
            audience: deps.adminAudience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: deps.ttl.accessToken,
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'ES256'],
    },
    async renderError(ctx, out, error) {
      deps.onError?.(ctx, error);
      // A dependency outage is a 503 the browser may retry, not a broken request.
      if (isDependencyError(error)) {
        ctx.set('Retry-After', '5');
        return views.message(ctx, 503, { title: 'Unavailable', heading: 'Service temporarily unavailable', paragraphs: ['Call Recording login is briefly unavailable. Please try again in a moment.'] });
      }
      views.message(ctx, (error as { status?: number }).status ?? 500, describeOidcError(out));
    },
  };

  const provider = new Provider(deps.issuer, configuration);
  provider.proxy = deps.trustProxy;
  // oidc-provider answers its JSON endpoints' unexpected errors with 500 server_error. When the
  // cause is PostgreSQL or Redis being away, say 503 with Retry-After: clients back off and retry.
  provider.on('server_error', (ctx, error) => {
    if (isDependencyError(error)) ctx.state.dependencyUnavailable = true;
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.state.dependencyUnavailable && ctx.status === 500) {
      ctx.status = 503;
      ctx.set('Retry-After', '5');
      if (ctx.body && typeof ctx.body === 'object') ctx.body = { error: 'server_error', error_description: 'temporarily unavailable, retry shortly' };
    }
  });
  return provider;
}
