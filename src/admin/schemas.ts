// The admin API's wire shapes (camelCase JSON, enums upper-case as in the guide). Request bodies are
// strict: an unknown field is a 400, so nobody can mass-assign companyId, roles or hashes.
import { z } from 'zod';
import { MFA_POLICIES } from '../companies/company.js';
import { ROLES, USER_POLICIES, USER_STATUSES, type Role } from '../accounts/user.js';
import { USER_SORT_FIELDS } from '../accounts/user-search.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../accounts/passwords.js';

const ROLE_IDS = Object.keys(ROLES) as [Role, ...Role[]];

export const id = z.string().min(1).max(100);
export const mfaPolicy = z.enum(MFA_POLICIES);
export const userPolicy = z.enum(USER_POLICIES);
export const userStatus = z.enum(USER_STATUSES);
export const role = z.enum(ROLE_IDS);
const text = (max: number) => z.string().trim().max(max);
const password = z.string().refine((p) => { const n = [...p].length; return n >= PASSWORD_MIN_LENGTH && n <= PASSWORD_MAX_LENGTH; }, `must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`);
const username = z.string().trim().min(1).max(100).regex(/^[\p{L}\p{N}._@+-]+$/u, 'letters, digits and . _ @ + - only');
const email = z.email().max(254);

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(25).describe('Page size (1–100, default 25)'),
  cursor: z.string().max(500).optional().describe('The nextCursor of the previous page'),
};

export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const roleView = z.object({ id: role, name: z.string() });

export const companyView = z.object({
  id: z.string(), name: z.string(), mfaPolicy, createdAt: z.string(), updatedAt: z.string(),
});
export const newCompanyBody = z.object({ name: text(200).min(1), mfaPolicy: mfaPolicy.optional() }).strict();
export const companyPatchBody = z.object({ name: text(200).min(1) }).strict();
export const mfaPolicyView = z.object({ policy: mfaPolicy });
export const mfaPolicyBody = z.object({ policy: mfaPolicy, confirm: z.string().max(100).optional() }).strict();

export const userView = z.object({
  id: z.string(), companyId: z.string(), username: z.string(), firstName: z.string(), lastName: z.string(),
  email: z.string(), telephonyUsername: z.string().nullable(), policy: userPolicy, status: userStatus,
  mfaStatus: z.enum(['DISABLED', 'PENDING', 'ENABLED']), roles: z.array(role), createdAt: z.string(), updatedAt: z.string(),
});
export const newUserBody = z.object({
  username, firstName: text(100), lastName: text(100), email,
  telephonyUsername: text(254).nullable().optional(), policy: userPolicy, password: password.optional(),
}).strict();
export const userPatchBody = z.object({
  firstName: text(100).optional(), lastName: text(100).optional(), email: email.optional(),
  telephonyUsername: text(254).nullable().optional(), policy: userPolicy.optional(), status: userStatus.optional(),
}).strict();
export const userListQuery = z.object({
  search: z.string().max(200).optional().describe('Matches username, first/last name, email and telephony username (case-insensitive)'),
  sort: z.enum(USER_SORT_FIELDS).default('username'),
  order: z.enum(['asc', 'desc']).default('asc'),
  ...pageQuery,
});
export const rolesBody = z.object({ roles: z.array(role).max(10) }).strict();
export const rolesView = z.object({ roles: z.array(role) });
export const reasonBody = z.object({ reason: text(500).optional() }).strict();

export const myMfaView = z.object({ companyPolicy: mfaPolicy, enabled: z.boolean(), status: z.enum(['DISABLED', 'PENDING', 'ENABLED']), canChange: z.boolean() });
export const myMfaBody = z.object({ enabled: z.boolean() }).strict();

const redirectUri = z.url().max(2000).refine((u) => {
  const url = new URL(u);
  return !url.hash && (url.protocol === 'https:' || (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)));
}, 'must be https (http only for localhost) and have no fragment');
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export const clientView = z.object({
  clientId: z.string(), name: z.string(), kind: z.enum(['RELYING_PARTY', 'TOOLING']), companyId: z.string().nullable(),
  firstParty: z.boolean(), redirectUris: z.array(z.string()), postLogoutRedirectUris: z.array(z.string()),
  grantTypes: z.array(z.string()), backchannelLogoutUri: z.string().nullable(), createdAt: z.string(), updatedAt: z.string(),
});
export const newClientBody = z.object({
  name: text(200).min(1),
  redirectUris: z.array(redirectUri).max(20),
  postLogoutRedirectUris: z.array(redirectUri).max(20).optional(),
  firstParty: z.boolean().optional(),
  backchannelLogoutUri: redirectUri.nullable().optional(),
  grantTypes: z.array(z.enum(GRANT_TYPES)).min(1).max(3).optional(),
  companyId: id.nullable().optional(),
}).strict();
export const clientWithSecretView = clientView.extend({ clientSecret: z.string() });
export const clientSecretView = z.object({ clientId: z.string(), clientSecret: z.string() });

export const auditEventView = z.object({
  id: z.string(), occurredAt: z.string(), type: z.string(), companyId: z.string().nullable(),
  actor: z.object({ type: z.string(), id: z.string().nullable() }),
  target: z.object({ type: z.string(), id: z.string() }).nullable(),
  reason: z.string().nullable(), details: z.record(z.string(), z.unknown()),
});
export const auditQuery = z.object({
  companyId: id.optional(), userId: id.optional(), type: z.string().max(100).optional(), ...pageQuery,
});

export const meView = userView;
