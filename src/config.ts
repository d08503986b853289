// The only reader of process.env. Every setting is validated once at start; a bad value stops the
// process with one line per variable. The README's configuration table mirrors this file.
import { z } from 'zod';
import type { ThrottleLimits } from './mfa/throttle.js';

const port = z.coerce.number().int().min(0).max(65535);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const positiveInt = z.coerce.number().int().positive();

/** KEY_ENCRYPTION_KEY: 32 random bytes, base64 or hex encoded (AES-256-GCM key for data at rest). */
const keyEncryptionKey = z.string().transform((value, ctx) => {
  const trimmed = value.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (bytes.length !== 32) {
    ctx.addIssue({ code: 'custom', message: 'must be 32 bytes, base64 or hex encoded (openssl rand -base64 32)' });
    return z.NEVER;
  }
  return bytes;
});

/** COOKIE_KEYS: comma-separated list, newest first; older keys still verify cookies during rotation. */
const cookieKeys = z.string().transform((value, ctx) => {
  const keys = value.split(',').map((k) => k.trim()).filter(Boolean);
  if (keys.length === 0 || keys.some((k) => k.length < 32)) {
    ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of keys of at least 32 characters each' });
    return z.NEVER;
  }
  return keys;
});

const envSchema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).default('development'),
  ISSUER: z.url().optional(),
  HOST: z.string().default('0.0.0.0'),
  PORT: port.default(3000),
  ADMIN_PORT: port.default(3001),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  DATABASE_POOL_MAX: positiveInt.default(10),
  DATA_DIR: z.string().default('./.data'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  REDIS_KEY_PREFIX: z.string().default('callrec-auth:'),
  KEY_ENCRYPTION_KEY: keyEncryptionKey.optional(),
  COOKIE_KEYS: cookieKeys.optional(),
  ADMIN_AUDIENCE: z.string().min(1).default('urn:callrec-auth:admin'),
  BOOTSTRAP_ADMIN_CLIENT_ID: z.string().min(1).max(200).optional(),
  BOOTSTRAP_ADMIN_CLIENT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  TRUST_PROXY: bool.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MFA_ISSUER: z.string().min(1).max(100).default('Call Recording'),
  PASSWORD_HASH_MEMORY_KIB: z.coerce.number().int().min(19456).default(19456),
  PASSWORD_HASH_ITERATIONS: z.coerce.number().int().min(2).default(2),
  PASSWORD_HASH_PARALLELISM: z.coerce.number().int().min(1).max(16).default(1),
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  SESSION_TTL_SECONDS: positiveInt.default(8 * 60 * 60),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt.default(10 * 60),
  REFRESH_TOKEN_TTL_SECONDS: positiveInt.default(14 * 24 * 60 * 60),
  SHUTDOWN_GRACE_SECONDS: positiveInt.default(20),
  DEMO_SEED: bool.optional(),
  KEY_REFRESH_SECONDS: positiveInt.default(60),
  CLIENT_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  OUTBOUND_ALLOW_PRIVATE_NETWORK: bool.optional(),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  MAIL_FROM: z.string().min(3).default('Call Recording <no-reply@localhost>'),
  MFA_MAX_FAILURES: positiveInt.default(5),
  MFA_FAILURE_WINDOW_SECONDS: positiveInt.default(15 * 60),
  MFA_LOCKOUT_SECONDS: positiveInt.default(30 * 60),
  PASSWORD_MAX_FAILURES: positiveInt.default(10),
  PASSWORD_FAILURE_WINDOW_SECONDS: positiveInt.default(15 * 60),
  PASSWORD_LOCKOUT_SECONDS: positiveInt.default(30 * 60),
  IP_MAX_FAILURES: positiveInt.default(100),
  IP_FAILURE_WINDOW_SECONDS: positiveInt.default(15 * 60),
  IP_LOCKOUT_SECONDS: positiveInt.default(15 * 60),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  production: boolean;
  /** Seed a demo company, admin user and the /demo relying party (embedded default only). */
  demo: boolean;
  issuer: string;
  host: string;
  port: number;
  adminPort: number;
  /** PostgreSQL URL, or undefined for the embedded PGlite database in `dataDir`. */
  databaseUrl: string | undefined;
  databasePoolMax: number;
  dataDir: string;
  /** Redis URL, or undefined for the in-process store (embedded default only). */
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  keyEncryptionKey: Buffer;
  cookieKeys: string[];
  adminAudience: string;
  bootstrapAdminClient: { clientId: string; clientSecret: string } | undefined;
  trustProxy: boolean;
  logLevel: Env['LOG_LEVEL'];
  mfaIssuer: string;
  passwordHash: { memoryCost: number; timeCost: number; parallelism: number };
  /** argon2 computations at once (memory ≤ memoryCost × this); more wait, a flood is refused. */
  passwordHashConcurrency: number;
  ttl: { session: number; accessToken: number; refreshToken: number };
  shutdownGraceSeconds: number;
  /** How often each replica reloads signing keys (rotation takes effect within this). */
  keyRefreshSeconds: number;
  /** How long a replica reuses a client read from PostgreSQL (client changes apply within this). */
  clientCacheSeconds: number;
  /** SMTP for password reset emails; without it the embedded default prints them to the log. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Back-channel logout may call private/loopback addresses (default: only outside production). */
  outboundAllowPrivateNetwork: boolean;
  throttles: {
    /** Wrong passcodes (and recovery codes) per user. */
    passcode: ThrottleLimits;
    /** Wrong passwords per username (PCI DSS 8.3.4); answered exactly like a wrong password. */
    password: ThrottleLimits;
    /** Failed logins per client IP. */
    ip: ThrottleLimits;
    /** "Forgotten login details?" requests per username/email and per IP (mail-bombing guard). */
    passwordReset: ThrottleLimits;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** Secrets the embedded default generates and keeps in DATA_DIR when the environment gives none. */
export interface GeneratedSecrets {
  keyEncryptionKey: Buffer;
  cookieKeys: string[];
}

function isLocalIssuer(issuer: URL): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname);
}

/**
 * Parses the environment. `generated` supplies secrets for the embedded default; production never
 * uses it and refuses to start without real ones.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  generated?: () => GeneratedSecrets,
): Config {
  // Every problem is reported at once, one line per variable, so one restart fixes them all.
  const problems: string[] = [];
  if (env.NODE_ENV === 'production') {
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'KEY_ENCRYPTION_KEY', 'COOKIE_KEYS', 'ISSUER'] as const) {
      if (env[key] === undefined) problems.push(`${key}: required when NODE_ENV=production`);
    }
  }
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const reported = new Set(problems.map((p) => p.split(':')[0]));
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.') || '(env)';
      if (!reported.has(key)) problems.push(`${key}: ${issue.message}`);
    }
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const issuer = e.ISSUER ?? `http://localhost:${e.PORT}`;
  const issuerUrl = new URL(issuer);
  if (production && issuerUrl.protocol !== 'https:' && !isLocalIssuer(issuerUrl)) {
    problems.push('ISSUER: must be https:// in production (http is allowed only for localhost)');
  }
  if (issuerUrl.search || issuerUrl.hash) problems.push('ISSUER: must not have a query or fragment');
  if ((e.BOOTSTRAP_ADMIN_CLIENT_ID === undefined) !== (e.BOOTSTRAP_ADMIN_CLIENT_SECRET === undefined)) {
    problems.push('BOOTSTRAP_ADMIN_CLIENT_ID/BOOTSTRAP_ADMIN_CLIENT_SECRET: set both or neither');
  }
  if (e.PORT === e.ADMIN_PORT && e.PORT !== 0) problems.push('ADMIN_PORT: must differ from PORT');
  if (problems.length) throw new ConfigError(problems);

  const needsGenerated = e.KEY_ENCRYPTION_KEY === undefined || e.COOKIE_KEYS === undefined;
  const fallback = needsGenerated && generated ? generated() : undefined;
  const keyEncryptionKey = e.KEY_ENCRYPTION_KEY ?? fallback?.keyEncryptionKey;
  const keys = e.COOKIE_KEYS ?? fallback?.cookieKeys;
  if (!keyEncryptionKey || !keys) {
    throw new ConfigError(['KEY_ENCRYPTION_KEY/COOKIE_KEYS: required (no generated secrets available)']);
  }

  return {
    production,
    demo: !production && (e.DEMO_SEED ?? e.DATABASE_URL === undefined),
    issuer: issuer.replace(/\/$/, ''),
    host: e.HOST,
    port: e.PORT,
    adminPort: e.ADMIN_PORT,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    keyEncryptionKey,
    cookieKeys: keys,
    adminAudience: e.ADMIN_AUDIENCE,
    bootstrapAdminClient: e.BOOTSTRAP_ADMIN_CLIENT_ID && e.BOOTSTRAP_ADMIN_CLIENT_SECRET
      ? { clientId: e.BOOTSTRAP_ADMIN_CLIENT_ID, clientSecret: e.BOOTSTRAP_ADMIN_CLIENT_SECRET }
      : undefined,
    trustProxy: e.TRUST_PROXY ?? production,
    logLevel: e.LOG_LEVEL,
    mfaIssuer: e.MFA_ISSUER,
    passwordHash: {
      memoryCost: e.PASSWORD_HASH_MEMORY_KIB,
      timeCost: e.PASSWORD_HASH_ITERATIONS,
      parallelism: e.PASSWORD_HASH_PARALLELISM,
    },
    passwordHashConcurrency: e.PASSWORD_HASH_CONCURRENCY,
    ttl: {
      session: e.SESSION_TTL_SECONDS,
      accessToken: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshToken: e.REFRESH_TOKEN_TTL_SECONDS,
    },
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    keyRefreshSeconds: e.KEY_REFRESH_SECONDS,
    clientCacheSeconds: e.CLIENT_CACHE_SECONDS,
    outboundAllowPrivateNetwork: e.OUTBOUND_ALLOW_PRIVATE_NETWORK ?? !production,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    throttles: {
      passcode: { maxFailures: e.MFA_MAX_FAILURES, windowSeconds: e.MFA_FAILURE_WINDOW_SECONDS, lockSeconds: e.MFA_LOCKOUT_SECONDS },
      password: { maxFailures: e.PASSWORD_MAX_FAILURES, windowSeconds: e.PASSWORD_FAILURE_WINDOW_SECONDS, lockSeconds: e.PASSWORD_LOCKOUT_SECONDS },
      ip: { maxFailures: e.IP_MAX_FAILURES, windowSeconds: e.IP_FAILURE_WINDOW_SECONDS, lockSeconds: e.IP_LOCKOUT_SECONDS },
      passwordReset: { maxFailures: 5, windowSeconds: 60 * 60, lockSeconds: 60 * 60 },
    },
  };
}
