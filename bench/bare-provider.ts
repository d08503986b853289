// The framework ceiling: a bare oidc-provider 9 configured like callrec-auth where it costs CPU
// (code flow + PKCE, refresh-token rotation, RS256 ID tokens, ES256 JWT access tokens for the admin
// resource, client credentials, the same TTLs) but with oidc-provider's in-memory adapter, clients
// in its static configuration, no database, no Redis, and a login that finishes the interaction at
// once (no pages, no password, no passcode). Started by bench/run.ts in its own process.
//
// Env: PORT, BENCH_BARE_CONFIG (JSON: clients, adminAudience, ttl).
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

interface BareConfig {
  issuer: string;
  adminAudience: string;
  ttl: { session: number; accessToken: number; refreshToken: number };
  clients: NonNullable<Configuration['clients']>;
}

const config = JSON.parse(process.env.BENCH_BARE_CONFIG ?? '{}') as BareConfig;
const port = Number(process.env.PORT ?? 0);

async function jwk(alg: 'RS256' | 'ES256') {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  return { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `bare-${alg}` };
}

const ACCOUNT_CLAIMS = {
  preferred_username: 'bench-user', given_name: 'Bench', family_name: 'User', name: 'Bench User', email: 'bench-user@example.com',
  company_id: '00000000-0000-4000-8000-000000000000', company_name: 'Bench Company', user_policy: 'GLOBAL', roles: [], telephony_username: 'bench-user',
};

const provider = new Provider(config.issuer, {
  jwks: { keys: [await jwk('RS256'), await jwk('ES256')] } as Configuration['jwks'],
  clients: config.clients,
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, ...ACCOUNT_CLAIMS }) }),
  claims: {
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    profile: ['preferred_username', 'given_name', 'family_name', 'name'],
    email: ['email'],
    callrec: ['company_id', 'company_name', 'user_policy', 'roles', 'telephony_username'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'callrec', 'admin'],
  conformIdTokenClaims: false,
  responseTypes: ['code'],
  pkce: { required: () => true },
  rotateRefreshToken: true,
  cookies: { keys: ['bare-provider-cookie-key-0123456789abcdef'], long: { signed: true, httpOnly: true, sameSite: 'lax' }, short: { signed: true, httpOnly: true, sameSite: 'lax' } },
  ttl: {
    AccessToken: config.ttl.accessToken,
    AuthorizationCode: 60,
    ClientCredentials: config.ttl.accessToken,
    IdToken: 3600,
    Interaction: 30 * 60,
    Session: config.ttl.session,
    Grant: config.ttl.refreshToken,
    RefreshToken: config.ttl.refreshToken,
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  // As callrec-auth does for first-party clients: the grant covers what is asked, no consent page.
  async loadExistingGrant(ctx) {
    const { oidc } = ctx;
    const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(oidc.client!.clientId);
    const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    if (!oidc.session?.accountId) return existing;
    const grant = existing ?? new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session.accountId });
    const scopes = [...(oidc.requestParamOIDCScopes ?? [])];
    if (scopes.length) grant.addOIDCScope(scopes.join(' '));
    const requested = new Set(oidc.requestParamScopes ?? []);
    for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
      const allowed = (server.scope ?? '').split(' ').filter((s: string) => requested.has(s));
      if (allowed.length) grant.addResourceScope(indicator, allowed.join(' '));
    }
    await grant.save();
    return grant;
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: async () => false,
      getResourceServerInfo: async () => ({
        scope: 'admin', audience: config.adminAudience, accessTokenFormat: 'jwt', accessTokenTTL: config.ttl.accessToken, jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});

// The login "page": finishes the interaction at once (login, then consent when one is asked for).
provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([\w-]+)$/.exec(ctx.path);
  if (!match || ctx.method !== 'GET') return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.prompt.name === 'login') {
    return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: 'bench-user', amr: ['pwd'], remember: false } }, { mergeWithLastSubmission: false });
  }
  const grant = details.grantId
    ? (await provider.Grant.find(details.grantId))!
    : new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();
  return provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
});
provider.use(async (ctx: KoaContextWithOIDC, next) => {
  if (ctx.path === '/healthz') { ctx.body = { status: 'ok' }; return; }
  return next();
});
provider.on('server_error', (_ctx, err) => process.stderr.write(`bare provider server_error: ${err.message}\n`));

const server = createServer(provider.callback());
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`bare provider listening on ${config.issuer}\n`));
process.on('SIGTERM', () => { server.close(() => process.exit(0)); server.closeIdleConnections(); setTimeout(() => process.exit(0), 2000).unref(); });
process.on('SIGINT', () => process.exit(0));
