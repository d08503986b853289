// The single migration runner (npm run migrate, the CLI, the Helm hook job and the tests all call
// this). knex's own CLI cannot load TypeScript migrations under ESM, so migrations are registered
// in migrations/index.ts and handed to knex as a migration source.
import type { Knex } from 'knex';
import { migrations } from '../../migrations/index.js';

const source: Knex.MigrationSource<Knex.Migration & { name: string }> = {
  async getMigrations() {
    return migrations;
  },
  getMigrationName(migration) {
    return migration.name;
  },
  async getMigration(migration) {
    return migration;
  },
};

export async function migrateToLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource: source })) as [number, string[]];
  return applied;
}
