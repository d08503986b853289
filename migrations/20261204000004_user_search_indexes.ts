// Users list at scale (100,000 users in a company): a trigram index for "contains" search across
// the five searchable columns, and one (company, sort key, id) index per sortable column for
// keyset pages. The search expression must stay identical to SEARCH_TEXT in src/accounts/user-search.ts.
import type { Knex } from 'knex';

export const name = '20261204000004_user_search_indexes';

const SEARCH_TEXT = "lower(username || ' ' || first_name || ' ' || last_name || ' ' || email || ' ' || coalesce(telephony_username, ''))";
const SORT_KEYS: Record<string, string> = {
  username: 'lower(username)',
  first_name: 'lower(first_name)',
  last_name: 'lower(last_name)',
  email: 'lower(email)',
  telephony_username: "lower(coalesce(telephony_username, ''))",
};

export async function up(knex: Knex): Promise<void> {
  await knex.raw('create extension if not exists pg_trgm');
  await knex.raw(`create index users_search_trgm on users using gin ((${SEARCH_TEXT}) gin_trgm_ops)`);
  for (const [column, key] of Object.entries(SORT_KEYS)) {
    await knex.raw(`create index users_company_sort_${column} on users (company_id, (${key}), id)`);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists users_search_trgm');
  for (const column of Object.keys(SORT_KEYS)) await knex.raw(`drop index if exists users_company_sort_${column}`);
}
