// callrec-auth CLI: `migrate` (the Helm hook job runs this), `keys rotate`, `bootstrap`, `start`.
import { ConfigError, loadConfig } from './config.js';
import { connectPglite, connectPostgres, openPglite } from './db/connection.js';
import { migrateToLatest } from './db/migrate.js';
import { createSecretBox } from './crypto/secret-box.js';
import { ensureSigningKeys, rotateSigningKeys } from './oidc/signing-keys.js';
import { createClientsRepo } from './oidc/clients-repo.js';
import { bootstrapAdminClient } from './oidc/bootstrap-admin-client.js';
import { loadOrCreateEmbeddedSecrets } from './embedded-secrets.js';
import { join } from 'node:path';

const USAGE = `usage: callrec-auth <command>
  migrate       apply database migrations to DATABASE_URL (or the embedded database)
  keys rotate [--activate-in SECONDS]
                add a new signing key per algorithm; it is published at once and signs after
                the delay (default 3600 s), so every replica serves it before any token uses it
  bootstrap     create or update the BOOTSTRAP_ADMIN_CLIENT_ID client
  start         start the server (same as npm start)`;

async function run(args: string[]): Promise<number> {
  const [command, sub] = args;
  if (command === 'start') {
    await import('./main.js');
    return -1;
  }
  if (!command || !['migrate', 'keys', 'bootstrap'].includes(command) || (command === 'keys' && sub !== 'rotate')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(process.env, () => loadOrCreateEmbeddedSecrets(process.env.DATA_DIR ?? './.data'));
  const db = config.databaseUrl
    ? connectPostgres({ url: config.databaseUrl, poolMax: 2 })
    : await connectPglite(await openPglite(join(config.dataDir, 'pgdata')));
  try {
    if (command === 'migrate') {
      const applied = await migrateToLatest(db);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
    } else if (command === 'keys') {
      const box = createSecretBox(config.keyEncryptionKey);
      await ensureSigningKeys(db, box);
      const flag = args.indexOf('--activate-in');
      const delaySeconds = flag >= 0 ? Number(args[flag + 1]) : 3600;
      if (!Number.isInteger(delaySeconds) || delaySeconds < 0) throw new Error('--activate-in takes a whole number of seconds');
      // Old keys stay published until every token they signed has expired (ID tokens live 1 h).
      const retireAfterSeconds = Math.max(3600, config.ttl.accessToken) + 300;
      const { added, activatesAt, retiresAt } = await rotateSigningKeys(db, box, { now: new Date(), activateInSeconds: delaySeconds, retireAfterSeconds });
      process.stdout.write(`added signing keys ${added.join(', ')}: published now, signing from ${activatesAt.toISOString()}; the keys they replace are retired at ${retiresAt.toISOString()}\n`);
    } else {
      if (!config.bootstrapAdminClient) {
        process.stderr.write('BOOTSTRAP_ADMIN_CLIENT_ID and BOOTSTRAP_ADMIN_CLIENT_SECRET must be set\n');
        return 2;
      }
      await bootstrapAdminClient(db, createClientsRepo(createSecretBox(config.keyEncryptionKey)), config.bootstrapAdminClient);
      process.stdout.write(`client ${config.bootstrapAdminClient.clientId} is ready\n`);
    }
    return 0;
  } finally {
    await db.destroy();
  }
}

try {
  const code = await run(process.argv.slice(2));
  if (code >= 0) process.exit(code);
} catch (err) {
  process.stderr.write(`callrec-auth: ${err instanceof ConfigError ? err.message : (err as Error).stack}\n`);
  process.exit(1);
}
