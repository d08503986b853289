// One knex instance per process: PostgreSQL (pg pool) in production, PGlite (PostgreSQL compiled to
// WASM, single connection) for the embedded default. Both run the same migrations and queries.
import knexFactory, { type Knex } from 'knex';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

// Return BIGINT (audit ids, TOTP steps) as JS numbers: every value we store fits in 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Db = Knex;

export interface PostgresOptions {
  url: string;
  poolMax: number;
  /** Schema to use (tests isolate runs by schema or database). */
  searchPath?: string;
}

export function connectPostgres(options: PostgresOptions): Db {
  return knexFactory({
    client: 'pg',
    connection: {
      connectionString: options.url,
      // Fail fast when PostgreSQL is unreachable instead of hanging a request.
      connectionTimeoutMillis: 2000,
      statement_timeout: 5000,
      query_timeout: 6000,
      application_name: 'callrec-auth',
    },
    searchPath: options.searchPath ? [options.searchPath] : undefined,
    pool: { min: 0, max: options.poolMax, acquireTimeoutMillis: 2000 },
    acquireConnectionTimeout: 2000,
  });
}

/**
 * PGlite keeps one connection: knex-pglite pins the pool to min=max=1. Its modules are loaded only
 * here, so a production process (PostgreSQL) never carries the WASM build (~55 MiB).
 */
export async function connectPglite(pglite: PGlite): Promise<Db> {
  const { default: ClientPgLite } = await import('knex-pglite');
  return knexFactory({
    client: ClientPgLite as unknown as typeof knexFactory.Client,
    dialect: 'postgres',
    connection: () => ({ pglite }) as object,
  } as Knex.Config);
}

/** Opens (or creates) an embedded database, with the extensions the migrations use. */
export async function openPglite(dataDir: string | undefined, snapshot?: Blob | File): Promise<PGlite> {
  const [{ PGlite }, { pg_trgm }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite/contrib/pg_trgm')]);
  return PGlite.create(dataDir, { extensions: { pg_trgm }, ...(snapshot ? { loadDataDir: snapshot } : {}) });
}
