// Test isolation for PostgreSQL: global setup migrates one template database per run; each test
// file gets its own database cloned from it (CREATE DATABASE … TEMPLATE is a file copy, ~100 ms).
import knexFactory, { type Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { connectPostgres } from '../../src/db/connection.js';

export const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export function adminConnection(): Knex {
  return knexFactory({ client: 'pg', connection: ADMIN_DATABASE_URL, pool: { min: 0, max: 1 } });
}

export function templateName(): string {
  const name = process.env.CALLREC_TEST_TEMPLATE_DB;
  if (!name) throw new Error('CALLREC_TEST_TEMPLATE_DB is not set: run tests through jest (global setup)');
  return name;
}

export interface TestDatabase {
  name: string;
  url: string;
  db: Knex;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${templateName()}_${randomBytes(4).toString('hex')}`;
  const admin = adminConnection();
  try {
    await admin.raw(`create database "${name}" template "${templateName()}"`);
  } finally {
    await admin.destroy();
  }
  const url = databaseUrl(name);
  const db = connectPostgres({ url, poolMax: 10 });
  return {
    name,
    url,
    db,
    async drop() {
      await db.destroy();
      const conn = adminConnection();
      try {
        await conn.raw(`drop database if exists "${name}" with (force)`);
      } finally {
        await conn.destroy();
      }
    },
  };
}
