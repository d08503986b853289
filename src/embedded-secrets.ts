// The embedded default (`npm start` with nothing configured) keeps generated secrets in DATA_DIR
// so that restarts keep sessions, keys and the demo password. Production never calls this.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { GeneratedSecrets } from './config.js';

export interface EmbeddedSecrets extends GeneratedSecrets {
  demoAdminPassword: string;
  demoClientSecret: string;
}

interface StoredSecrets {
  keyEncryptionKey: string;
  cookieKeys: string[];
  demoAdminPassword: string;
  demoClientSecret: string;
}

export function loadOrCreateEmbeddedSecrets(dataDir: string): EmbeddedSecrets {
  const file = join(dataDir, 'secrets.json');
  let stored: StoredSecrets;
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8')) as StoredSecrets;
  } else {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    stored = {
      keyEncryptionKey: randomBytes(32).toString('base64'),
      cookieKeys: [randomBytes(32).toString('base64url')],
      demoAdminPassword: randomBytes(9).toString('base64url'),
      demoClientSecret: randomBytes(32).toString('base64url'),
    };
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  return {
    keyEncryptionKey: Buffer.from(stored.keyEncryptionKey, 'base64'),
    cookieKeys: stored.cookieKeys,
    demoAdminPassword: stored.demoAdminPassword,
    demoClientSecret: stored.demoClientSecret,
  };
}
