// BOOTSTRAP_ADMIN_CLIENT_ID/_SECRET: on every start, create or update a client-credentials client
// with global admin rights. This is how admin tooling gets in before anything else exists.
import type { Knex } from 'knex';
import type { ClientsRepo } from './clients-repo.js';
import { recordAuditEvent, SYSTEM_ACTOR } from '../audit/audit-log.js';

export async function bootstrapAdminClient(db: Knex, clients: ClientsRepo, credentials: { clientId: string; clientSecret: string }): Promise<void> {
  await db.transaction(async (trx) => {
    await clients.upsert(trx, {
      clientId: credentials.clientId,
      name: 'Bootstrap admin client',
      kind: 'TOOLING',
      companyId: null,
      firstParty: false,
      secret: credentials.clientSecret,
      redirectUris: [],
      postLogoutRedirectUris: [],
      grantTypes: ['client_credentials'],
    });
    await recordAuditEvent(trx, { type: 'client.bootstrapped', companyId: null, actor: SYSTEM_ACTOR, target: { type: 'client', id: credentials.clientId } });
  });
}
