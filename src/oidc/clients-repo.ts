// OIDC clients live in PostgreSQL. oidc-provider reads them through the adapter for its "Client"
// model (see client-adapter.ts); secrets are sealed at rest and opened only when the provider
// needs to compare them.
import type { Knex } from 'knex';
import type { SecretBox } from '../crypto/secret-box.js';

export type ClientKind = 'RELYING_PARTY' | 'TOOLING';

export interface ClientRegistration {
  clientId: string;
  name: string;
  kind: ClientKind;
  companyId: string | null;
  firstParty: boolean;
  /** Plain secret, or null for a public client (PKCE only). */
  secret: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  backchannelLogoutUri?: string | null;
}

interface ClientRow {
  client_id: string;
  name: string;
  kind: ClientKind;
  company_id: string | null;
  secret_sealed: string | null;
  first_party: boolean;
  metadata: Record<string, unknown>;
}

/** The metadata oidc-provider validates (snake_case per RFC 7591) plus our extra properties. */
export type ProviderClientMetadata = Record<string, unknown> & { client_id: string };

function secretContext(clientId: string): string {
  return `client-secret:${clientId}`;
}

/** A registered client as the admin API shows it (never its secret). */
export interface ClientRecord {
  clientId: string;
  name: string;
  kind: ClientKind;
  companyId: string | null;
  firstParty: boolean;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  backchannelLogoutUri: string | null;
  createdAt: Date;
  updatedAt: Date;
}

function toRecord(row: ClientRow & { created_at: Date; updated_at: Date }): ClientRecord {
  const m = row.metadata as { redirect_uris?: string[]; post_logout_redirect_uris?: string[]; grant_types?: string[]; backchannel_logout_uri?: string };
  return {
    clientId: row.client_id,
    name: row.name,
    kind: row.kind,
    companyId: row.company_id,
    firstParty: row.first_party,
    redirectUris: m.redirect_uris ?? [],
    postLogoutRedirectUris: m.post_logout_redirect_uris ?? [],
    grantTypes: m.grant_types ?? [],
    backchannelLogoutUri: m.backchannel_logout_uri ?? null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function createClientsRepo(box: SecretBox) {
  return {
    async find(db: Knex, clientId: string): Promise<ClientRecord | undefined> {
      const row = await db('oidc_clients').where({ client_id: clientId }).first();
      return row ? toRecord(row) : undefined;
    },
    async list(db: Knex, page: { limit: number; after?: string }): Promise<{ items: ClientRecord[]; next?: string }> {
      const query = db('oidc_clients');
      if (page.after) query.where('client_id', '>', page.after);
      const rows = await query.orderBy('client_id').limit(page.limit + 1);
      const items = rows.slice(0, page.limit).map(toRecord);
      return { items, next: rows.length > page.limit ? items[items.length - 1]?.clientId : undefined };
    },
    async remove(db: Knex, clientId: string): Promise<boolean> {
      return (await db('oidc_clients').where({ client_id: clientId }).delete()) > 0;
    },
    async setSecret(db: Knex, clientId: string, secret: string): Promise<void> {
      await db('oidc_clients').where({ client_id: clientId }).update({ secret_sealed: box.seal(secret, secretContext(clientId)), updated_at: db.fn.now() });
    },
    async upsert(db: Knex, reg: ClientRegistration): Promise<void> {
      const metadata = {
        redirect_uris: reg.redirectUris,
        post_logout_redirect_uris: reg.postLogoutRedirectUris,
        grant_types: reg.grantTypes,
        ...(reg.backchannelLogoutUri ? { backchannel_logout_uri: reg.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
      };
      await db('oidc_clients')
        .insert({
          client_id: reg.clientId,
          name: reg.name,
          kind: reg.kind,
          company_id: reg.companyId,
          first_party: reg.firstParty,
          secret_sealed: reg.secret ? box.seal(reg.secret, secretContext(reg.clientId)) : null,
          metadata: JSON.stringify(metadata),
        })
        .onConflict('client_id')
        .merge(['name', 'kind', 'company_id', 'first_party', 'secret_sealed', 'metadata', 'updated_at']);
    },

    async findProviderMetadata(db: Knex, clientId: string): Promise<ProviderClientMetadata | undefined> {
      const row = await db<ClientRow>('oidc_clients').where({ client_id: clientId }).first();
      if (!row) return undefined;
      const grantTypes = (row.metadata.grant_types as string[] | undefined) ?? ['authorization_code'];
      const usesCode = grantTypes.includes('authorization_code');
      return {
        ...row.metadata,
        client_id: row.client_id,
        client_name: row.name,
        grant_types: grantTypes,
        response_types: usesCode ? ['code'] : [],
        redirect_uris: usesCode ? row.metadata.redirect_uris : [],
        ...(row.secret_sealed
          ? { client_secret: box.open(row.secret_sealed, secretContext(row.client_id)).toString('utf8'), token_endpoint_auth_method: 'client_secret_basic' }
          : { token_endpoint_auth_method: 'none' }),
        'urn:callrec:first_party': row.first_party,
        'urn:callrec:kind': row.kind,
        'urn:callrec:company_id': row.company_id,
      };
    },
  };
}

export type ClientsRepo = ReturnType<typeof createClientsRepo>;
