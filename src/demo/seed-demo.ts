// Seeds the embedded default: a "Demo Company", an administrator with every role, and the /demo
// relying party. Runs on every start and changes nothing once the data is there.
import type { Knex } from 'knex';
import type { CompaniesRepo } from '../companies/companies-repo.js';
import type { UsersRepo } from '../accounts/users-repo.js';
import type { ClientsRepo } from '../oidc/clients-repo.js';
import type { PasswordHasher } from '../accounts/passwords.js';
import { recordAuditEvent, SYSTEM_ACTOR } from '../audit/audit-log.js';

export const DEMO_COMPANY = 'Demo Company';
export const DEMO_ADMIN_USERNAME = 'admin';
export const DEMO_CLIENT_ID = 'demo-rp';

export interface SeedDemoDeps {
  db: Knex;
  companies: CompaniesRepo;
  users: UsersRepo;
  clients: ClientsRepo;
  hasher: PasswordHasher;
}

export async function seedDemo(deps: SeedDemoDeps, options: { issuer: string; adminPassword: string; clientSecret: string }): Promise<void> {
  const passwordHash = await deps.hasher.hash(options.adminPassword);
  await deps.db.transaction(async (trx) => {
    await deps.clients.upsert(trx, {
      clientId: DEMO_CLIENT_ID,
      name: 'Demo relying party',
      kind: 'RELYING_PARTY',
      companyId: null,
      firstParty: true,
      secret: options.clientSecret,
      redirectUris: [`${options.issuer}/demo/callback`],
      postLogoutRedirectUris: [`${options.issuer}/demo`],
      grantTypes: ['authorization_code', 'refresh_token'],
    });
    if (await deps.users.findCredentialsByUsername(trx, DEMO_ADMIN_USERNAME)) return;
    const company = (await deps.companies.findByName(trx, DEMO_COMPANY)) ?? (await deps.companies.insert(trx, { name: DEMO_COMPANY }));
    const admin = await deps.users.insert(trx, {
      companyId: company.id,
      username: DEMO_ADMIN_USERNAME,
      firstName: 'Demo',
      lastName: 'Administrator',
      email: 'admin@example.com',
      telephonyUsername: 'admin',
      policy: 'GLOBAL',
      passwordHash,
    });
    await deps.users.grantRoles(trx, admin, ['MANAGE_USERS', 'MANAGE_COMPANY_MFA', 'MANAGE_OWN_MFA']);
    await recordAuditEvent(trx, { type: 'demo.seeded', companyId: company.id, actor: SYSTEM_ACTOR, target: { type: 'user', id: admin.id } });
  });
}
