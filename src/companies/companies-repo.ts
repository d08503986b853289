import type { Knex } from 'knex';
import type { Company, MfaPolicy } from './company.js';

interface CompanyRow {
  id: string;
  name: string;
  mfa_policy: MfaPolicy;
  created_at: Date;
  updated_at: Date;
}

function toCompany(row: CompanyRow): Company {
  return { id: row.id, name: row.name, mfaPolicy: row.mfa_policy, createdAt: row.created_at, updatedAt: row.updated_at };
}

export function createCompaniesRepo() {
  return {
    async insert(db: Knex, input: { name: string; mfaPolicy?: MfaPolicy }): Promise<Company> {
      const [row] = await db<CompanyRow>('companies')
        .insert({ name: input.name, mfa_policy: input.mfaPolicy ?? 'DISABLED' })
        .returning('*');
      return toCompany(row as CompanyRow);
    },
    async findById(db: Knex, id: string): Promise<Company | undefined> {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
      const row = await db<CompanyRow>('companies').where({ id }).first();
      return row ? toCompany(row) : undefined;
    },
    async findByName(db: Knex, name: string): Promise<Company | undefined> {
      const row = await db<CompanyRow>('companies').where({ name }).orderBy('created_at').first();
      return row ? toCompany(row) : undefined;
    },
    async rename(db: Knex, id: string, name: string): Promise<void> {
      await db('companies').where({ id }).update({ name, updated_at: db.fn.now() });
    },
    /** Keyset page ordered by name, then id. */
    async list(db: Knex, page: { limit: number; after?: [string, string] }): Promise<{ items: Company[]; next?: [string, string] }> {
      const query = db('companies').select('*', db.raw('lower(name) as sort_value'));
      if (page.after) query.whereRaw('(lower(name), id) > (?, ?)', page.after);
      const rows = (await query.orderByRaw('lower(name), id').limit(page.limit + 1)) as (CompanyRow & { sort_value: string })[];
      const kept = rows.slice(0, page.limit);
      const last = kept[kept.length - 1];
      return { items: kept.map(toCompany), next: rows.length > page.limit && last ? [last.sort_value, last.id] : undefined };
    },
    async setMfaPolicy(db: Knex, id: string, policy: MfaPolicy): Promise<void> {
      await db('companies').where({ id }).update({ mfa_policy: policy, updated_at: db.fn.now() });
    },
  };
}

export type CompaniesRepo = ReturnType<typeof createCompaniesRepo>;
