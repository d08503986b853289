// Test data, written through the same repositories the service uses. example.com data only.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { createCompaniesRepo } from '../../src/companies/companies-repo.js';
import { createUsersRepo } from '../../src/accounts/users-repo.js';
import { createPasswordHasher } from '../../src/accounts/passwords.js';
import { createClientsRepo, type ClientRegistration } from '../../src/oidc/clients-repo.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';
import type { MfaPolicy } from '../../src/companies/company.js';
import type { Role, User, UserPolicy, UserStatus } from '../../src/accounts/user.js';

const companies = createCompaniesRepo();
const users = createUsersRepo();
let hasherPromise: ReturnType<typeof createPasswordHasher> | undefined;
const hasher = () => (hasherPromise ??= createPasswordHasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 }));

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

export async function createCompany(db: Knex, input: { name?: string; mfaPolicy?: MfaPolicy } = {}) {
  return companies.insert(db, { name: input.name ?? uniqueName('Company '), mfaPolicy: input.mfaPolicy });
}

export interface TestUserInput {
  companyId: string;
  username?: string;
  password?: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  telephonyUsername?: string | null;
  policy?: UserPolicy;
  status?: UserStatus;
  roles?: Role[];
}

export async function createUser(db: Knex, input: TestUserInput): Promise<User & { password: string }> {
  const username = input.username ?? uniqueName('user');
  const password = input.password ?? `pw-${randomBytes(8).toString('hex')}`;
  const user = await users.insert(db, {
    companyId: input.companyId,
    username,
    firstName: input.firstName ?? 'Test',
    lastName: input.lastName ?? 'User',
    email: input.email ?? `${username}@example.com`,
    telephonyUsername: input.telephonyUsername === undefined ? username : input.telephonyUsername,
    policy: input.policy ?? 'GLOBAL',
    status: input.status,
    passwordHash: await (await hasher()).hash(password),
  });
  if (input.roles) await users.grantRoles(db, user, input.roles);
  return { ...user, password };
}

export interface TestClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export async function createRelyingParty(
  db: Knex,
  keyEncryptionKey: string,
  input: Partial<ClientRegistration> & { redirectUri?: string } = {},
): Promise<TestClient> {
  const clientId = input.clientId ?? uniqueName('rp-');
  const clientSecret = input.secret ?? randomBytes(32).toString('base64url');
  const redirectUri = input.redirectUri ?? 'http://127.0.0.1:9/callback';
  await createClientsRepo(createSecretBox(Buffer.from(keyEncryptionKey, 'base64'))).upsert(db, {
    clientId,
    name: input.name ?? 'Test relying party',
    kind: input.kind ?? 'RELYING_PARTY',
    companyId: input.companyId ?? null,
    firstParty: input.firstParty ?? true,
    secret: clientSecret,
    redirectUris: input.redirectUris ?? [redirectUri],
    postLogoutRedirectUris: input.postLogoutRedirectUris ?? ['http://127.0.0.1:9/logged-out'],
    grantTypes: input.grantTypes ?? ['authorization_code', 'refresh_token'],
    backchannelLogoutUri: input.backchannelLogoutUri,
  });
  return { clientId, clientSecret, redirectUri };
}
