// Company use cases for the admin API. Each change and its audit event share one transaction.
import type { Knex } from 'knex';
import { AppError } from '../errors.js';
import { recordAuditEvent, type AuditActor } from '../audit/audit-log.js';
import type { CompaniesRepo } from './companies-repo.js';
import type { Company, MfaPolicy } from './company.js';

/** The guide's typed confirmation for switching MFA off for a whole company. */
export const DISABLE_MFA_CONFIRMATION = 'Disable MFA';

export interface CompanyAdminDeps {
  db: Knex;
  companies: CompaniesRepo;
}

export async function createCompany(deps: CompanyAdminDeps, actor: AuditActor, input: { name: string; mfaPolicy?: MfaPolicy }): Promise<Company> {
  return deps.db.transaction(async (trx) => {
    const company = await deps.companies.insert(trx, input);
    await recordAuditEvent(trx, { type: 'company.created', companyId: company.id, actor, target: { type: 'company', id: company.id }, details: { name: company.name, mfaPolicy: company.mfaPolicy } });
    return company;
  });
}

export async function renameCompany(deps: CompanyAdminDeps, actor: AuditActor, company: Company, name: string): Promise<Company> {
  return deps.db.transaction(async (trx) => {
    await deps.companies.rename(trx, company.id, name);
    await recordAuditEvent(trx, { type: 'company.renamed', companyId: company.id, actor, target: { type: 'company', id: company.id }, details: { from: company.name, to: name } });
    return (await deps.companies.findById(trx, company.id))!;
  });
}

export async function setCompanyMfaPolicy(
  deps: CompanyAdminDeps,
  actor: AuditActor,
  company: Company,
  input: { policy: MfaPolicy; confirm?: string },
): Promise<Company> {
  if (input.policy === 'DISABLED' && company.mfaPolicy !== 'DISABLED' && input.confirm !== DISABLE_MFA_CONFIRMATION) {
    throw new AppError('company.disable_mfa_confirmation_required', 400, `Switching to DISABLED needs "confirm": "${DISABLE_MFA_CONFIRMATION}" exactly.`);
  }
  return deps.db.transaction(async (trx) => {
    await deps.companies.setMfaPolicy(trx, company.id, input.policy);
    if (input.policy !== company.mfaPolicy) {
      await recordAuditEvent(trx, { type: 'company.mfa_policy_changed', companyId: company.id, actor, target: { type: 'company', id: company.id }, details: { from: company.mfaPolicy, to: input.policy } });
    }
    return (await deps.companies.findById(trx, company.id))!;
  });
}
