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
      const row = await db<CompanyRow>('companies').where({ id }).first();
      return row ? toCompany(row) : undefined;
    },
    async findByName(db: Knex, name: string): Promise<Company | undefined> {
      const row = await db<CompanyRow>('companies').where({ name }).orderBy('created_at').first();
      return row ? toCompany(row) : undefined;
    },
    async setMfaPolicy(db: Knex, id: string, policy: MfaPolicy): Promise<void> {
      await db('companies').where({ id }).update({ mfa_policy: policy, updated_at: db.fn.now() });
    },
  };
}

export type CompaniesRepo = ReturnType<typeof createCompaniesRepo>;
