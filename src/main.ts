// `npm start`: production when NODE_ENV=production, otherwise the embedded default (PGlite in
// ./.data, in-process store, generated secrets, demo data).
import { ConfigError, loadConfig } from './config.js';
import { createApp } from './app.js';
import { startServers } from './server.js';
import { loadOrCreateEmbeddedSecrets, type EmbeddedSecrets } from './embedded-secrets.js';
import { DEMO_ADMIN_USERNAME } from './demo/seed-demo.js';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let embedded: EmbeddedSecrets | undefined;
  let config;
  try {
    config = loadConfig(env, () => (embedded ??= loadOrCreateEmbeddedSecrets(env.DATA_DIR ?? './.data')));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`callrec-auth: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (config.demo) embedded ??= loadOrCreateEmbeddedSecrets(config.dataDir);

  const app = await createApp(config, {
    demoSecrets: config.demo && embedded ? { adminPassword: embedded.demoAdminPassword, clientSecret: embedded.demoClientSecret } : undefined,
  });
  const servers = await startServers(app, { drainDelayMs: config.production ? 3000 : 0 });
  app.logger.info({ publicUrl: servers.publicUrl, adminUrl: servers.adminUrl, issuer: config.issuer }, 'callrec-auth listening');

  if (config.demo && embedded) {
    process.stdout.write([
      '',
      `  callrec-auth is running (embedded default: data in ${config.dataDir})`,
      `  Issuer / discovery:  ${config.issuer}/.well-known/openid-configuration`,
      `  Demo relying party:  ${config.issuer}/demo`,
      `  Demo login:          username "${DEMO_ADMIN_USERNAME}", password "${embedded.demoAdminPassword}"`,
      `  Admin listener:      ${servers.adminUrl}`,
      '',
    ].join('\n') + '\n');
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    servers.stop().then(() => process.exit(0), (err: unknown) => {
      app.logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

await main();
