// Verifies admin API bearer tokens locally: our own keys, allowed algorithms only, issuer, audience,
// expiry, JWT access-token type (an ID token is not an access token) and the `admin` scope. Then
// resolves the principal from the database on every call.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { Knex } from 'knex';
import type { UsersRepo } from '../accounts/users-repo.js';
import { problems } from './problem.js';
import type { Principal } from './principal.js';
import { ADMIN_SCOPE, PRINCIPAL_CLAIM } from '../oidc/provider.js';

export interface BearerAuthDeps {
  issuer: string;
  audience: string;
  /** Public JWKS of the provider (refreshed when keys rotate). */
  jwks: () => JSONWebKeySet;
  db: Knex;
  users: UsersRepo;
}

const INVALID = 'Bearer realm="callrec-auth-admin", error="invalid_token"';

export function createBearerAuth(deps: BearerAuthDeps) {
  let cached: { source: JSONWebKeySet; keySet: ReturnType<typeof createLocalJWKSet> } | undefined;
  const keySet = () => {
    const source = deps.jwks();
    if (cached?.source !== source) cached = { source, keySet: createLocalJWKSet(source) };
    return cached.keySet;
  };

  return async function authenticate(authorization: string | undefined): Promise<Principal> {
    const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization?.trim() ?? '');
    if (!match) throw problems.unauthorized();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1]!, keySet(), {
        issuer: deps.issuer,
        audience: deps.audience,
        algorithms: ['ES256', 'RS256'],
        typ: 'at+jwt',
        requiredClaims: ['exp', 'iat', 'sub', 'client_id'],
      }));
    } catch {
      throw problems.unauthorized('The access token is not valid for the admin API.', INVALID);
    }
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    if (!scopes.includes(ADMIN_SCOPE)) throw problems.unauthorized('The access token lacks the admin scope.', `${INVALID}, scope="${ADMIN_SCOPE}"`);
    const clientId = String(payload.client_id);

    if (payload[PRINCIPAL_CLAIM] === 'user') {
      const user = await deps.users.findById(deps.db, String(payload.sub));
      if (!user || user.status !== 'ACTIVE') throw problems.unauthorized('The user behind this token is not active.', INVALID);
      const roles = await deps.users.listRoles(deps.db, user.id);
      return { kind: 'user', user, roles, clientId, authTime: typeof payload.auth_time === 'number' ? payload.auth_time : undefined };
    }
    if (payload[PRINCIPAL_CLAIM] === 'client') {
      const client = await deps.db('oidc_clients').where({ client_id: clientId, kind: 'TOOLING' }).first<{ company_id: string | null } | undefined>('company_id');
      if (!client) throw problems.unauthorized('The client behind this token is not an admin tooling client.', INVALID);
      return { kind: 'client', clientId, companyId: client.company_id };
    }
    throw problems.unauthorized('The access token does not name its principal.', INVALID);
  };
}

export type BearerAuth = ReturnType<typeof createBearerAuth>;
