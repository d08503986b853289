// First-party applications (a flag on the client) never show a consent page: their grant is
// created, or widened, to exactly what they request. Third-party clients go through consent.
import type { Grant, KoaContextWithOIDC } from 'oidc-provider';

export function isFirstParty(client: KoaContextWithOIDC['oidc']['client']): boolean {
  return Boolean(client?.['urn:callrec:first_party']);
}

export async function loadFirstPartyGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const client = oidc.client!;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(client.clientId);
  const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!isFirstParty(client) || !oidc.session?.accountId) return existing;
  // A grant from an earlier session of another account must never be reused.
  if (existing && existing.accountId !== oidc.session.accountId) return undefined;

  const grant = existing ?? new oidc.provider.Grant({ clientId: client.clientId, accountId: oidc.session.accountId });
  grantRequested(ctx, grant);
  await grant.save();
  return grant;
}

/** Adds what the current authorization request asks for (scopes, claims, resource scopes). */
export function grantRequested(ctx: KoaContextWithOIDC, grant: Grant): void {
  const { oidc } = ctx;
  const scopes = [...(oidc.requestParamOIDCScopes ?? [])];
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  const claims = [...(oidc.requestParamClaims ?? [])];
  if (claims.length) grant.addOIDCClaims(claims);
  const requested = new Set(oidc.requestParamScopes ?? []);
  for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
    const allowed = (server.scope ?? '').split(' ').filter((s: string) => requested.has(s));
    if (allowed.length) grant.addResourceScope(indicator, allowed.join(' '));
  }
}
