import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, type GeneratedSecrets } from '../../src/config.js';

const KEY = randomBytes(32);
const COOKIE_KEY = 'k'.repeat(32);

/** A complete, valid production environment; tests remove or spoil one thing at a time. */
function productionEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'production',
    ISSUER: 'https://auth.example.com',
    DATABASE_URL: 'postgres://auth@db.example.com:5432/auth',
    REDIS_URL: 'redis://redis.example.com:6379',
    KEY_ENCRYPTION_KEY: KEY.toString('base64'),
    COOKIE_KEYS: COOKIE_KEY,
    ...overrides,
  };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  return env;
}

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** The variable each problem line names ("NAME: message"). */
function variablesOf(problems: string[]): string[] {
  return problems.map((p) => p.slice(0, p.indexOf(':'))).sort();
}

function generatedSecrets(): GeneratedSecrets {
  return { keyEncryptionKey: randomBytes(32), cookieKeys: ['g'.repeat(40)] };
}

describe('loadConfig', () => {
  describe('defaults', () => {
    it('when nothing is configured but generated secrets are available, then the embedded defaults apply', () => {
      const secrets = generatedSecrets();
      const config = loadConfig({}, () => secrets);
      expect(config).toMatchObject({
        production: false,
        demo: true,
        issuer: 'http://localhost:3000',
        host: '0.0.0.0',
        port: 3000,
        adminPort: 3001,
        databaseUrl: undefined,
        databasePoolMax: 10,
        dataDir: './.data',
        redisUrl: undefined,
        redisKeyPrefix: 'callrec-auth:',
        cookieKeys: secrets.cookieKeys,
        adminAudience: 'urn:callrec-auth:admin',
        bootstrapAdminClient: undefined,
        trustProxy: false,
        logLevel: 'info',
        mfaIssuer: 'Call Recording',
        passwordHash: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
        ttl: { session: 8 * 60 * 60, accessToken: 10 * 60, refreshToken: 14 * 24 * 60 * 60 },
        shutdownGraceSeconds: 20,
      });
      expect(config.keyEncryptionKey.equals(secrets.keyEncryptionKey)).toBe(true);
    });

    it('when PORT is set and ISSUER is not, then the issuer follows the port', () => {
      const config = loadConfig({ PORT: '8080', ADMIN_PORT: '8081' }, generatedSecrets);
      expect(config.issuer).toBe('http://localhost:8080');
      expect(config.port).toBe(8080);
    });

    it('when ISSUER ends with a slash, then the slash is dropped', () => {
      expect(loadConfig(productionEnv({ ISSUER: 'https://auth.example.com/' })).issuer).toBe('https://auth.example.com');
    });

    it('when a complete production environment is given, then it loads with production settings', () => {
      const config = loadConfig(productionEnv());
      expect(config).toMatchObject({
        production: true,
        demo: false,
        trustProxy: true,
        issuer: 'https://auth.example.com',
        databaseUrl: 'postgres://auth@db.example.com:5432/auth',
        redisUrl: 'redis://redis.example.com:6379',
        cookieKeys: [COOKIE_KEY],
      });
      expect(config.keyEncryptionKey.equals(KEY)).toBe(true);
    });
  });

  describe('production refuses to start without real infrastructure and secrets', () => {
    it('when NODE_ENV=production and nothing else is set, then each missing variable is listed once', () => {
      const problems = problemsOf(() => loadConfig({ NODE_ENV: 'production' }));
      expect(variablesOf(problems)).toEqual(['COOKIE_KEYS', 'DATABASE_URL', 'ISSUER', 'KEY_ENCRYPTION_KEY', 'REDIS_URL']);
    });

    it.each(['DATABASE_URL', 'REDIS_URL', 'KEY_ENCRYPTION_KEY', 'COOKIE_KEYS', 'ISSUER'])(
      'when only %s is missing in production, then it is the one problem',
      (name) => {
        expect(variablesOf(problemsOf(() => loadConfig(productionEnv({ [name]: undefined }))))).toEqual([name]);
      },
    );

    it('when production is missing secrets, then generated secrets are not used (nor even generated)', () => {
      let calls = 0;
      const generate = () => { calls++; return generatedSecrets(); };
      const problems = problemsOf(() => loadConfig(productionEnv({ KEY_ENCRYPTION_KEY: undefined, COOKIE_KEYS: undefined }), generate));
      expect(variablesOf(problems)).toEqual(['COOKIE_KEYS', 'KEY_ENCRYPTION_KEY']);
      expect(calls).toBe(0);
    });

    it('when production has one malformed variable and others missing, then every bad variable is listed', () => {
      const problems = problemsOf(() => loadConfig(productionEnv({ KEY_ENCRYPTION_KEY: 'too-short', DATABASE_URL: undefined, REDIS_URL: undefined })));
      expect(variablesOf(problems)).toEqual(['DATABASE_URL', 'KEY_ENCRYPTION_KEY', 'REDIS_URL']);
    });

    it('when several variables are malformed, then each is listed once', () => {
      const problems = problemsOf(() => loadConfig(productionEnv({
        DATABASE_URL: 'mysql://db.example.com/auth',
        REDIS_URL: 'http://redis.example.com',
        KEY_ENCRYPTION_KEY: 'abc',
        COOKIE_KEYS: 'short',
        ISSUER: 'not a url',
      })));
      expect(variablesOf(problems)).toEqual(['COOKIE_KEYS', 'DATABASE_URL', 'ISSUER', 'KEY_ENCRYPTION_KEY', 'REDIS_URL']);
    });

    it('when the production ISSUER is http on a public host, then it is refused', () => {
      const problems = problemsOf(() => loadConfig(productionEnv({ ISSUER: 'http://auth.example.com' })));
      expect(variablesOf(problems)).toEqual(['ISSUER']);
      expect(problems[0]).toMatch(/https/);
    });

    it.each(['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000'])(
      'when the production ISSUER is %s, then http is allowed',
      (issuer) => {
        expect(loadConfig(productionEnv({ ISSUER: issuer })).issuer).toBe(issuer);
      },
    );

    it('when outside production the ISSUER is http on a public host, then it is accepted', () => {
      expect(loadConfig({ ISSUER: 'http://auth.example.com' }, generatedSecrets).issuer).toBe('http://auth.example.com');
    });

    it('when ISSUER has a query or a fragment, then it is refused', () => {
      expect(variablesOf(problemsOf(() => loadConfig(productionEnv({ ISSUER: 'https://auth.example.com/?tenant=1' }))))).toEqual(['ISSUER']);
      expect(variablesOf(problemsOf(() => loadConfig(productionEnv({ ISSUER: 'https://auth.example.com/#x' }))))).toEqual(['ISSUER']);
    });

    it('when NODE_ENV has an unknown value, then it is refused', () => {
      expect(variablesOf(problemsOf(() => loadConfig(productionEnv({ NODE_ENV: 'staging' }))))).toEqual(['NODE_ENV']);
    });

    it('when ADMIN_PORT equals PORT, then it is refused', () => {
      expect(variablesOf(problemsOf(() => loadConfig(productionEnv({ PORT: '4000', ADMIN_PORT: '4000' }))))).toEqual(['ADMIN_PORT']);
    });
  });

  describe('KEY_ENCRYPTION_KEY', () => {
    it('when it is 32 bytes in base64, then those bytes are the key', () => {
      expect(loadConfig(productionEnv({ KEY_ENCRYPTION_KEY: KEY.toString('base64') })).keyEncryptionKey.equals(KEY)).toBe(true);
    });

    it('when it is 32 bytes in hex, then it is read as hex', () => {
      expect(loadConfig(productionEnv({ KEY_ENCRYPTION_KEY: KEY.toString('hex') })).keyEncryptionKey.equals(KEY)).toBe(true);
      expect(loadConfig(productionEnv({ KEY_ENCRYPTION_KEY: KEY.toString('hex').toUpperCase() })).keyEncryptionKey.equals(KEY)).toBe(true);
    });

    it('when it has surrounding whitespace (a trailing newline from a secret file), then it is trimmed', () => {
      expect(loadConfig(productionEnv({ KEY_ENCRYPTION_KEY: `${KEY.toString('base64')}\n` })).keyEncryptionKey.equals(KEY)).toBe(true);
    });

    it.each([
      ['16 bytes in base64', randomBytes(16).toString('base64')],
      ['33 bytes in base64', randomBytes(33).toString('base64')],
      ['31 bytes in hex', randomBytes(31).toString('hex')],
      ['empty', ''],
    ])('when it is %s, then it is refused', (_label, value) => {
      const problems = problemsOf(() => loadConfig(productionEnv({ KEY_ENCRYPTION_KEY: value })));
      expect(variablesOf(problems)).toEqual(['KEY_ENCRYPTION_KEY']);
      expect(problems[0]).toMatch(/32 bytes/);
    });
  });

  describe('COOKIE_KEYS', () => {
    it('when several keys of at least 32 characters are given, then all are kept in order, trimmed', () => {
      const a = 'a'.repeat(32);
      const b = 'b'.repeat(48);
      expect(loadConfig(productionEnv({ COOKIE_KEYS: ` ${a} , ${b} ` })).cookieKeys).toEqual([a, b]);
    });

    it.each([
      ['one key of 31 characters', 'a'.repeat(31)],
      ['a good key followed by a short one', `${'a'.repeat(32)},short`],
      ['only commas', ',,'],
    ])('when COOKIE_KEYS is %s, then it is refused', (_label, value) => {
      expect(variablesOf(problemsOf(() => loadConfig(productionEnv({ COOKIE_KEYS: value }))))).toEqual(['COOKIE_KEYS']);
    });
  });

  describe('bootstrap admin client', () => {
    const secret = 's'.repeat(32);

    it('when both id and secret are set, then the bootstrap client is configured', () => {
      expect(loadConfig(productionEnv({ BOOTSTRAP_ADMIN_CLIENT_ID: 'ops-tooling', BOOTSTRAP_ADMIN_CLIENT_SECRET: secret })).bootstrapAdminClient)
        .toEqual({ clientId: 'ops-tooling', clientSecret: secret });
    });

    it('when only the id is set, then it is refused', () => {
      const problems = problemsOf(() => loadConfig(productionEnv({ BOOTSTRAP_ADMIN_CLIENT_ID: 'ops-tooling' })));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/BOOTSTRAP_ADMIN_CLIENT_ID\/BOOTSTRAP_ADMIN_CLIENT_SECRET: set both or neither/);
    });

    it('when only the secret is set, then it is refused', () => {
      const problems = problemsOf(() => loadConfig(productionEnv({ BOOTSTRAP_ADMIN_CLIENT_SECRET: secret })));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/set both or neither/);
    });

    it('when the secret is shorter than 32 characters, then it is refused', () => {
      const problems = problemsOf(() => loadConfig(productionEnv({ BOOTSTRAP_ADMIN_CLIENT_ID: 'ops', BOOTSTRAP_ADMIN_CLIENT_SECRET: 's'.repeat(31) })));
      expect(variablesOf(problems)).toEqual(['BOOTSTRAP_ADMIN_CLIENT_SECRET']);
    });

    it('when neither is set, then there is no bootstrap client', () => {
      expect(loadConfig(productionEnv()).bootstrapAdminClient).toBeUndefined();
    });
  });

  describe('generated secrets for the embedded default', () => {
    it('when no secrets are configured and no generator is given, then it refuses to start', () => {
      expect(() => loadConfig({})).toThrow(ConfigError);
    });

    it('when only the cookie keys are missing, then the configured key encryption key is kept and generated cookie keys fill in', () => {
      const secrets = generatedSecrets();
      const config = loadConfig({ KEY_ENCRYPTION_KEY: KEY.toString('base64') }, () => secrets);
      expect(config.keyEncryptionKey.equals(KEY)).toBe(true);
      expect(config.cookieKeys).toEqual(secrets.cookieKeys);
    });

    it('when both secrets are configured, then the generator is not called', () => {
      let calls = 0;
      const config = loadConfig({ KEY_ENCRYPTION_KEY: KEY.toString('base64'), COOKIE_KEYS: COOKIE_KEY }, () => { calls++; return generatedSecrets(); });
      expect(calls).toBe(0);
      expect(config.cookieKeys).toEqual([COOKIE_KEY]);
    });
  });

  describe('demo seed', () => {
    const secrets = { KEY_ENCRYPTION_KEY: KEY.toString('base64'), COOKIE_KEYS: COOKIE_KEY };

    it('when not in production and no DATABASE_URL is set, then demo is on', () => {
      expect(loadConfig({ ...secrets, NODE_ENV: 'development' }).demo).toBe(true);
    });

    it('when a DATABASE_URL is set, then demo is off', () => {
      expect(loadConfig({ ...secrets, DATABASE_URL: 'postgres://127.0.0.1/x' }).demo).toBe(false);
    });

    it('when DEMO_SEED=true with a DATABASE_URL, then demo is on', () => {
      expect(loadConfig({ ...secrets, DATABASE_URL: 'postgres://127.0.0.1/x', DEMO_SEED: 'true' }).demo).toBe(true);
    });

    it('when DEMO_SEED=false without a DATABASE_URL, then demo is off', () => {
      expect(loadConfig({ ...secrets, DEMO_SEED: 'false' }).demo).toBe(false);
    });

    it('when in production with DEMO_SEED=true, then demo is still off', () => {
      expect(loadConfig(productionEnv({ DEMO_SEED: 'true' })).demo).toBe(false);
    });

    it('when DEMO_SEED is not a boolean, then it is refused', () => {
      expect(variablesOf(problemsOf(() => loadConfig({ ...secrets, DEMO_SEED: 'yes' })))).toEqual(['DEMO_SEED']);
    });
  });

  describe('numbers', () => {
    it('when PORT is not a number, then it is refused', () => {
      expect(variablesOf(problemsOf(() => loadConfig(productionEnv({ PORT: 'eighty' }))))).toEqual(['PORT']);
    });

    it('when password hash parameters are below the floor, then they are refused', () => {
      const problems = problemsOf(() => loadConfig(productionEnv({ PASSWORD_HASH_MEMORY_KIB: '4096', PASSWORD_HASH_ITERATIONS: '1' })));
      expect(variablesOf(problems)).toEqual(['PASSWORD_HASH_ITERATIONS', 'PASSWORD_HASH_MEMORY_KIB']);
    });
  });
});
