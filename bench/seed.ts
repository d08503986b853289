// Bench data, written straight into a fresh database: login users (one argon2id hash computed once
// and shared, so seeding costs no KDF per row), their authenticators through the service's own
// repository (last_used_step 0), a first-party relying party, and a company of many users made by one
// INSERT … SELECT generate_series for the admin search.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { hash, type Algorithm } from '@node-rs/argon2';
import { createSecretBox } from '../src/crypto/secret-box.js';
import { createCompaniesRepo } from '../src/companies/companies-repo.js';
import { createAuthenticatorsRepo } from '../src/mfa/authenticators-repo.js';
import { createClientsRepo } from '../src/oidc/clients-repo.js';
import { createTotpSecret } from '../src/mfa/totp.js';
import type { BenchClient, BenchUser } from './load.js';

export const OWASP_ARGON2ID = { algorithm: 2 as Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export interface Seeded {
  loginCompanyId: string;
  users: BenchUser[];
  client: BenchClient;
  searchCompanyId: string;
  searchCompanyUsers: number;
}

async function inBatches<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

export async function seed(db: Knex, options: { keyEncryptionKey: Buffer; loginUsers: number; searchCompanyUsers: number }): Promise<Seeded> {
  const box = createSecretBox(options.keyEncryptionKey);
  const companies = createCompaniesRepo();
  const authenticators = createAuthenticatorsRepo(box);
  const run = randomBytes(3).toString('hex');

  // MFA ENABLED: every login goes password → passcode.
  const company = await companies.insert(db, { name: `Bench Company ${run}`, mfaPolicy: 'ENABLED' });
  const password = `bench-${randomBytes(9).toString('base64url')}`;
  const passwordHash = await hash(password, OWASP_ARGON2ID);
  const rows = Array.from({ length: options.loginUsers }, (_, i) => ({
    company_id: company.id, username: `bench-${run}-${i}`, first_name: 'Bench', last_name: `User ${i}`,
    email: `bench-${run}-${i}@example.com`, telephony_username: `bench${i}`, policy: 'GLOBAL', status: 'ACTIVE',
    password_hash: passwordHash, password_changed_at: db.fn.now(),
  }));
  const inserted: { id: string; username: string }[] = [];
  for (let i = 0; i < rows.length; i += 1000) inserted.push(...await db('users').insert(rows.slice(i, i + 1000)).returning(['id', 'username']));

  const users: BenchUser[] = [];
  await inBatches(inserted, 8, async (row) => {
    const secret = createTotpSecret();
    if (!(await authenticators.activate(db, { userId: row.id, companyId: company.id, secret, step: 0 }))) throw new Error(`authenticator for ${row.username} not created`);
    users.push({ username: row.username, password, totpSecret: secret });
  });
  users.sort((a, b) => a.username.localeCompare(b.username, 'en', { numeric: true }));

  const client: BenchClient = { clientId: `bench-rp-${run}`, clientSecret: randomBytes(32).toString('base64url'), redirectUri: 'http://127.0.0.1:9/callback' };
  await createClientsRepo(box).upsert(db, {
    clientId: client.clientId, name: 'Bench relying party', kind: 'RELYING_PARTY', companyId: null, firstParty: true,
    secret: client.clientSecret, redirectUris: [client.redirectUri], postLogoutRedirectUris: [], grantTypes: ['authorization_code', 'refresh_token'],
  });

  // The admin search company: no argon2 per row, no authenticators; a few roles so the row
  // sub-selects have something to find.
  const searchCompany = await companies.insert(db, { name: `Bench Search Company ${run}`, mfaPolicy: 'AVAILABLE' });
  // The service's 5 s statement timeout is for requests; a bulk load with the search indexes
  // (trigram + sort keys) takes longer on a busy machine.
  await db.transaction(async (trx) => {
  await trx.raw('set local statement_timeout = 0');
  await trx.raw(`
    insert into users (company_id, username, first_name, last_name, email, telephony_username, policy, status)
    select ?, 'member-' || ? || '-' || g,
           (array['Anna','Bruno','Chloe','David','Emma','Felix','Greta','Hugo','Ines','Jonas'])[1 + g % 10],
           (array['Smith','Meyer','Dubois','Rossi','Novak','Silva','Kowalski','Jensen','Moreau','Weber'])[1 + (g / 10) % 10] || ' ' || g,
           'member-' || g || '@' || ? || '.example.com', 'tel' || g,
           (array['COMPANY','GLOBAL','STAFF','TEAM'])[1 + g % 4], case when g % 50 = 0 then 'INACTIVE' else 'ACTIVE' end
    from generate_series(1, ?) g`, [searchCompany.id, run, run, options.searchCompanyUsers]);
  });
  await db.raw(`insert into user_roles (user_id, company_id, role) select id, company_id, 'MANAGE_OWN_MFA' from users where company_id = ? and username like '%0'`, [searchCompany.id]);
  await db.raw('analyze users; analyze user_roles; analyze mfa_authenticators');

  return { loginCompanyId: company.id, users, client, searchCompanyId: searchCompany.id, searchCompanyUsers: options.searchCompanyUsers };
}
