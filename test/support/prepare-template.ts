// Run by global setup in a child process (tsx): jest loads global setup as CommonJS, which cannot
// import our ESM sources. Creates and migrates the run's template database; prints its name.
import { randomBytes } from 'node:crypto';
import { adminConnection, databaseUrl } from './postgres.js';
import { connectPostgres } from '../../src/db/connection.js';
import { migrateToLatest } from '../../src/db/migrate.js';

const name = `callrec_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const admin = adminConnection();
try {
  await admin.raw(`create database "${name}"`);
} finally {
  await admin.destroy();
}
const db = connectPostgres({ url: databaseUrl(name), poolMax: 1 });
try {
  await migrateToLatest(db);
} finally {
  await db.destroy();
}
process.stdout.write(name);
