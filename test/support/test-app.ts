// Starts the real service for a test file: its own PostgreSQL database, its own Redis key prefix,
// a random port, real oidc-provider. Nothing is mocked.
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { loadConfig, type Config } from '../../src/config.js';
import { createApp, type App, type AppOverrides } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { connectPostgres } from '../../src/db/connection.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestInstance {
  app: App;
  issuer: string;
  /** Where this instance listens; equals the issuer unless startInstance was given another ISSUER. */
  publicUrl: string;
  adminUrl: string;
  server: Server;
  adminServer: Server;
  stop(): Promise<void>;
}

/** What a test may hand to createApp besides the configuration, e.g. a clock (`now`) it moves. */
export type InstanceOverrides = Pick<AppOverrides, 'now' | 'mailer'>;

export interface TestEnvironment {
  database: TestDatabase;
  db: Knex;
  redis: Redis;
  redisPrefix: string;
  keyEncryptionKey: string;
  cookieKeys: string;
  /**
   * Starts one provider instance; several share the same database, Redis prefix and secrets.
   * `env` overrides the configuration, e.g. `{ ISSUER: other.issuer }` for replicas behind one issuer.
   */
  startInstance(env?: Record<string, string>, overrides?: InstanceOverrides): Promise<TestInstance>;
  close(): Promise<void>;
}

function listenOnRandomPort(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function createTestEnvironment(): Promise<TestEnvironment> {
  const database = await createTestDatabase();
  const redisPrefix = `test:${randomBytes(6).toString('hex')}:`;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const keyEncryptionKey = randomBytes(32).toString('base64');
  const cookieKeys = randomBytes(32).toString('base64url');
  const instances: TestInstance[] = [];

  const env: TestEnvironment = {
    database,
    db: database.db,
    redis,
    redisPrefix,
    keyEncryptionKey,
    cookieKeys,
    async startInstance(extraEnv = {}, overrides = {}) {
      // Listen first so the issuer (which must be known before the provider exists) has the port.
      const server = createServer();
      const adminServer = createServer();
      const port = await listenOnRandomPort(server);
      const adminPort = await listenOnRandomPort(adminServer);
      const config: Config = loadConfig({
        NODE_ENV: 'test',
        ISSUER: `http://127.0.0.1:${port}`,
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
        DATABASE_URL: database.url,
        REDIS_URL: REDIS_URL,
        REDIS_KEY_PREFIX: redisPrefix,
        KEY_ENCRYPTION_KEY: keyEncryptionKey,
        COOKIE_KEYS: cookieKeys,
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        DEMO_SEED: 'false',
        ...extraEnv,
      });
      // Each instance has its own pool and Redis connection, as separate replicas would.
      const db = connectPostgres({ url: database.url, poolMax: 5 });
      const instanceRedis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
      await instanceRedis.connect();
      const app = await createApp(config, { ...overrides, db, redis: instanceRedis, logger: createLogger(config.logLevel), migrate: false });
      let stopped: Promise<void> | undefined;
      server.on('request', app.publicApp.callback());
      adminServer.on('request', app.adminApp.callback());
      const instance: TestInstance = {
        app,
        issuer: config.issuer,
        publicUrl: `http://127.0.0.1:${port}`,
        adminUrl: `http://127.0.0.1:${adminPort}`,
        server,
        adminServer,
        // Idempotent: a test may stop a replica early, and close() stops whatever is left.
        stop() {
          stopped ??= (async () => {
            await Promise.all([closeServer(server), closeServer(adminServer)]);
            await app.close();
            instanceRedis.disconnect();
            await db.destroy();
          })();
          return stopped;
        },
      };
      instances.push(instance);
      return instance;
    },
    async close() {
      await Promise.all(instances.map((i) => i.stop()));
      const keys = await redis.keys(`${redisPrefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await database.drop();
    },
  };
  return env;
}
