// Client registration use cases (global admins only). Secrets are 256 random bits, shown once at
// creation or rotation and stored sealed.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAuditEvent, type AuditActor } from '../audit/audit-log.js';
import { AppError } from '../errors.js';
import type { ClientRecord, ClientsRepo } from './clients-repo.js';

export interface NewClientInput {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  firstParty?: boolean;
  backchannelLogoutUri?: string | null;
  grantTypes?: string[];
  companyId?: string | null;
}

export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export async function registerClient(deps: { db: Knex; clients: ClientsRepo }, actor: AuditActor, input: NewClientInput): Promise<{ client: ClientRecord; clientSecret: string }> {
  const grantTypes = input.grantTypes ?? ['authorization_code', 'refresh_token'];
  const tooling = !grantTypes.includes('authorization_code');
  if (!tooling && input.redirectUris.length === 0) throw new AppError('client.redirect_uri_required', 400, 'A client using authorization_code needs at least one redirect URI.');
  if (tooling && !grantTypes.includes('client_credentials')) throw new AppError('client.grant_types_invalid', 400, 'Choose authorization_code (apps) or client_credentials (tooling).');
  if (!tooling && input.companyId) throw new AppError('client.company_only_for_tooling', 400, 'Only tooling (client_credentials) clients can be bound to a company.');
  const clientId = `${tooling ? 'tool' : 'app'}_${randomBytes(12).toString('base64url')}`;
  const clientSecret = generateClientSecret();
  const client = await deps.db.transaction(async (trx) => {
    await deps.clients.upsert(trx, {
      clientId,
      name: input.name,
      kind: tooling ? 'TOOLING' : 'RELYING_PARTY',
      companyId: input.companyId ?? null,
      firstParty: input.firstParty ?? false,
      secret: clientSecret,
      redirectUris: tooling ? [] : input.redirectUris,
      postLogoutRedirectUris: tooling ? [] : input.postLogoutRedirectUris ?? [],
      grantTypes,
      backchannelLogoutUri: input.backchannelLogoutUri ?? null,
    });
    await recordAuditEvent(trx, { type: 'client.created', companyId: input.companyId ?? null, actor, target: { type: 'client', id: clientId }, details: { name: input.name, grantTypes } });
    return (await deps.clients.find(trx, clientId))!;
  });
  return { client, clientSecret };
}

export async function rotateClientSecret(deps: { db: Knex; clients: ClientsRepo }, actor: AuditActor, clientId: string): Promise<string> {
  const secret = generateClientSecret();
  await deps.db.transaction(async (trx) => {
    await deps.clients.setSecret(trx, clientId, secret);
    await recordAuditEvent(trx, { type: 'client.secret_rotated', companyId: null, actor, target: { type: 'client', id: clientId } });
  });
  return secret;
}

export async function deleteClient(deps: { db: Knex; clients: ClientsRepo }, actor: AuditActor, clientId: string): Promise<void> {
  await deps.db.transaction(async (trx) => {
    await deps.clients.remove(trx, clientId);
    await recordAuditEvent(trx, { type: 'client.deleted', companyId: null, actor, target: { type: 'client', id: clientId } });
  });
}
