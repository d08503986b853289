// The composition root: configuration in, a running provider and admin app out. Everything is built
// here and passed down; nothing below reads the environment or holds a module-level client.
import Koa from 'koa';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Provider } from 'oidc-provider';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { connectPglite, connectPostgres, openPglite } from './db/connection.js';
import { migrateToLatest } from './db/migrate.js';
import { createSecretBox } from './crypto/secret-box.js';
import { createCompaniesRepo } from './companies/companies-repo.js';
import { createUsersRepo } from './accounts/users-repo.js';
import { createPasswordHasher } from './accounts/passwords.js';
import { createClientsRepo } from './oidc/clients-repo.js';
import { ensureSigningKeys, loadSigningJwks } from './oidc/signing-keys.js';
import { createRedisOidcStore } from './oidc/redis-oidc-store.js';
import { createMemoryOidcStore } from './oidc/memory-oidc-store.js';
import { createAdapterClass } from './oidc/adapter.js';
import { createFindAccount } from './oidc/account-claims.js';
import { createProvider } from './oidc/provider.js';
import { bootstrapAdminClient } from './oidc/bootstrap-admin-client.js';
import { createViews } from './http/views.js';
import { securityHeaders } from './http/security-headers.js';
import { serveStaticAssets } from './http/static-assets.js';
import { renderPageErrors } from './http/page-errors.js';
import { healthRoutes, type HealthState, type ReadinessCheck } from './http/health-routes.js';
import { requestLogging } from './http/request-logging.js';
import { createCsrf } from './login/csrf.js';
import { createInteractionRoutes } from './login/interaction-routes.js';
import { createForms } from './login/forms.js';
import type { LoginDeps } from './login/login-deps.js';
import { createAuthenticatorsRepo } from './mfa/authenticators-repo.js';
import { createRecoveryCodesRepo } from './mfa/recovery-codes.js';
import { createThrottle } from './mfa/throttle.js';
import { createInteractionPolicy } from './oidc/mfa-login-check.js';
import { createAccountSessions, type AccountSessions } from './oidc/account-sessions.js';
import { createForgottenRoutes } from './login/forgotten-routes.js';
import { DEMO_CLIENT_ID, seedDemo } from './demo/seed-demo.js';
import { createAdminApp } from './admin/admin-app.js';
import { createBearerAuth } from './admin/bearer-auth.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import { createPasswordResets } from './accounts/password-reset.js';
import { jwksFingerprint, toPublicJwks } from './oidc/signing-keys.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import type { RequestListener } from 'node:http';
import type { JWK } from 'jose';

export interface AppOverrides {
  /** An already-connected database (tests hand in a per-run database). */
  db?: Knex;
  /** An already-connected Redis client; null forces the in-process store. */
  redis?: Redis | null;
  logger?: Logger;
  /** Demo data for the embedded default: the admin's password and the demo client's secret. */
  demoSecrets?: { adminPassword: string; clientSecret: string };
  /** Run migrations at start (the embedded default and tests; production uses the migrate job). */
  migrate?: boolean;
  /** The clock for TOTP checks and reset links. */
  now?: () => Date;
  /** Where emails go (tests hand in a local SMTP listener's mailer or a recorder). */
  mailer?: Mailer;
}

export interface AppServices {
  users: ReturnType<typeof createUsersRepo>;
  companies: ReturnType<typeof createCompaniesRepo>;
  authenticators: ReturnType<typeof createAuthenticatorsRepo>;
  recoveryCodes: ReturnType<typeof createRecoveryCodesRepo>;
  clients: ReturnType<typeof createClientsRepo>;
  hasher: Awaited<ReturnType<typeof createPasswordHasher>>;
  box: ReturnType<typeof createSecretBox>;
}

export interface App {
  config: Config;
  /** The provider now serving (replaced when signing keys change). */
  readonly provider: Provider;
  /** The public listener's request handler, always delegating to the current provider. */
  publicApp: { callback(): RequestListener };
  adminApp: Koa;
  metrics: Metrics;
  /** Reloads signing keys now (also done every KEY_REFRESH_SECONDS); true if they changed. */
  refreshKeys(): Promise<boolean>;
  db: Knex;
  redis: Redis | undefined;
  logger: Logger;
  health: HealthState;
  accountSessions: AccountSessions;
  /** Repositories and use-case dependencies, for the admin API and tests. */
  services: AppServices;
  /** Closes pools and clients this app opened. */
  close(): Promise<void>;
}

export function connectRedis(url: string): Redis {
  return new Redis(url, {
    // Fail fast while Redis is away (no queueing requests behind a dead connection) and keep
    // reconnecting in the background so the service recovers by itself.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: true,
    // Commands issued in the same tick share one write and one round trip.
    enableAutoPipelining: true,
  });
}

async function openDatabase(config: Config): Promise<{ db: Knex; owned: boolean }> {
  if (config.databaseUrl) return { db: connectPostgres({ url: config.databaseUrl, poolMax: config.databasePoolMax }), owned: true };
  const pglite = await openPglite(join(config.dataDir, 'pgdata'));
  return { db: await connectPglite(pglite), owned: true };
}

export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const { db, owned: ownsDb } = overrides.db ? { db: overrides.db, owned: false } : await openDatabase(config);
  let redis: Redis | undefined;
  let ownsRedis = false;
  if (overrides.redis !== undefined) {
    redis = overrides.redis ?? undefined;
  } else if (config.redisUrl) {
    redis = connectRedis(config.redisUrl);
    ownsRedis = true;
    redis.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'redis error'));
    await redis.connect();
  }

  try {
    if (overrides.migrate ?? !config.production) await migrateToLatest(db);

    const box = createSecretBox(config.keyEncryptionKey);
    const companies = createCompaniesRepo();
    const users = createUsersRepo();
    const clients = createClientsRepo(box);
    const hasher = await createPasswordHasher(config.passwordHash, { concurrency: config.passwordHashConcurrency, maxQueue: 64 * config.passwordHashConcurrency });
    const views = createViews();
    const authenticators = createAuthenticatorsRepo(box);
    const recoveryCodes = createRecoveryCodesRepo(config.keyEncryptionKey);

    await ensureSigningKeys(db, box);
    if (config.bootstrapAdminClient) await bootstrapAdminClient(db, clients, config.bootstrapAdminClient);
    // The demo relying party (and openid-client with it) is loaded only for the embedded default.
    const demo = config.demo && overrides.demoSecrets
      ? { secrets: overrides.demoSecrets, routes: (await import('./demo/demo-routes.js')).createDemoRoutes }
      : undefined;
    if (demo) await seedDemo({ db, companies, users, clients, hasher }, { issuer: config.issuer, ...demo.secrets });

    const metrics = createMetrics();
    if (redis) redis.on('error', () => metrics.dependencyErrors.inc({ dependency: 'redis' }));
    const now = overrides.now ?? (() => new Date());
    const store = redis ? createRedisOidcStore(redis) : createMemoryOidcStore();
    const health: HealthState = { draining: false };
    const checks: ReadinessCheck[] = [{ name: 'postgres', check: () => db.raw('select 1') }];
    if (redis) checks.push({ name: 'redis', check: () => redis!.ping() });
    const csrf = createCsrf(config.cookieKeys[0]!);
    const forms = createForms({ views, csrf, issuer: config.issuer });
    const throttle = (name: string, limits: Config['throttles']['passcode']) =>
      createThrottle({ redis, keyPrefix: `${config.redisKeyPrefix}throttle:${name}`, limits });
    const throttles = {
      passcode: throttle('passcode', config.throttles.passcode),
      password: throttle('password', config.throttles.password),
      ip: throttle('ip', config.throttles.ip),
    };
    const resetThrottle = throttle('reset', config.throttles.passwordReset);
    const interactionPolicy = createInteractionPolicy({ db });
    const findAccount = createFindAccount({ db });
    let invalidateClient: (clientId: string) => void = () => undefined;
    const adapter = createAdapterClass({
      store, prefix: config.redisKeyPrefix, db, clients, clientCacheSeconds: config.clientCacheSeconds,
      exposeInvalidate: (fn) => { invalidateClient = fn; },
    });

    // The provider is rebuilt when the signing keys change (rotation): it is stateless apart from
    // its keys, so requests simply move to the new instance. `current` always points at the latest.
    let current!: { provider: Provider; handler: RequestListener; jwks: { keys: JWK[] }; publicJwks: { keys: JWK[] } };
    const accountSessions = createAccountSessions({ provider: () => current.provider, store, prefix: config.redisKeyPrefix, logger });
    const mailer = overrides.mailer ?? createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, production: config.production, logger });
    const passwordResets = createPasswordResets({ db, users, hasher, mailer, accountSessions, issuer: config.issuer, now });

    const buildProvider = (jwks: { keys: JWK[] }): Provider => {
      const provider = createProvider({
        issuer: config.issuer,
        adapter,
        jwks,
        cookieKeys: config.cookieKeys,
        findAccount,
        views,
        adminAudience: config.adminAudience,
        trustProxy: config.trustProxy,
        ttl: config.ttl,
        interactionPolicy,
        allowPrivateNetworkFetch: config.outboundAllowPrivateNetwork,
        onError: (ctx, error) => logger.info({ err: { name: error.name, message: error.message }, route: ctx.oidc?.route }, 'oidc error page'),
      });
      provider.on('server_error', (_ctx, err) => logger.error({ err }, 'oidc server error'));
      provider.on('interaction.started', (_ctx, prompt) => { if (prompt.name === 'login') metrics.loginsStarted.inc(); });
      provider.on('grant.success', (ctx) => metrics.tokensIssued.inc({ grant_type: String(ctx.oidc.params?.grant_type ?? 'unknown') }));

      // Order matters: logging and error pages wrap everything, including oidc-provider's routes.
      provider.use(requestLogging(logger, metrics, 'public'));
      provider.use(renderPageErrors(views, logger, metrics));
      provider.use(securityHeaders({ hsts: config.production }));
      provider.use(healthRoutes(checks, health));
      provider.use(serveStaticAssets());
      const loginDeps: LoginDeps = {
        provider, issuer: config.issuer, views, csrf, forms, db, users, companies, hasher, authenticators,
        recoveryCodes, box, throttles, mfaIssuer: config.mfaIssuer, now, logger, metrics,
      };
      provider.use(createInteractionRoutes(loginDeps).routes());
      provider.use(createForgottenRoutes({ views, passwordResets, issuer: config.issuer, throttle: resetThrottle, csrfKey: config.cookieKeys[0]! }).routes());
      if (demo) provider.use(demo.routes({ issuer: config.issuer, clientId: DEMO_CLIENT_ID, clientSecret: demo.secrets.clientSecret, views }).routes());
      return provider;
    };
    const install = (jwks: { keys: JWK[] }) => {
      const provider = buildProvider(jwks);
      current = { provider, handler: provider.callback(), jwks, publicJwks: toPublicJwks(jwks) };
    };
    install(await loadSigningJwks(db, box, now()));

    /** Reloads keys; rebuilds the provider only when the published or signing set changed. */
    const refreshKeys = async (): Promise<boolean> => {
      const jwks = await loadSigningJwks(db, box, now());
      if (jwksFingerprint(jwks) === jwksFingerprint(current.jwks)) return false;
      install(jwks);
      logger.info({ kids: jwks.keys.map((k) => k.kid) }, 'signing keys reloaded');
      return true;
    };
    const keyTimer = setInterval(() => {
      refreshKeys().catch((err: Error) => logger.warn({ err: { message: err.message } }, 'signing key reload failed; keeping the current keys'));
    }, config.keyRefreshSeconds * 1000);
    keyTimer.unref();

    const adminApp = createAdminApp({
      logger,
      metrics,
      checks,
      health,
      issuer: config.issuer,
      audience: config.adminAudience,
      authenticate: createBearerAuth({ issuer: config.issuer, audience: config.adminAudience, jwks: () => current.publicJwks, db, users }),
      admin: { db, users, companies, authenticators, recoveryCodes, clients, hasher, accountSessions, passwordResets, now, invalidateClient: (id) => invalidateClient(id) },
    });

    return {
      config,
      get provider() { return current.provider; },
      publicApp: { callback: () => (req, res) => current.handler(req, res) },
      adminApp,
      metrics,
      refreshKeys,
      db,
      redis,
      logger,
      health,
      accountSessions,
      services: { users, companies, authenticators, recoveryCodes, clients, hasher, box },
      async close() {
        clearInterval(keyTimer);
        if (ownsRedis) redis?.disconnect();
        if (ownsDb) await db.destroy();
      },
    };
  } catch (err) {
    if (ownsRedis) redis?.disconnect();
    if (ownsDb) await db.destroy();
    throw err;
  }
}
