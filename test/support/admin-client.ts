// Calls the admin API as tooling or as a user would: real tokens from the provider's token
// endpoint (client credentials with the admin resource), real HTTP to the admin listener.
import { randomBytes } from 'node:crypto';
import type { TestEnvironment, TestInstance } from './test-app.js';
import { createRelyingParty } from './fixtures.js';

export const ADMIN_AUDIENCE = 'urn:callrec-auth:admin';

export interface ApiResponse<T = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  status: number;
  headers: Headers;
  body: T;
}

export async function clientCredentialsToken(issuer: string, clientId: string, clientSecret: string, resource = ADMIN_AUDIENCE, scope = 'admin'): Promise<string> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
  });
  const json = (await res.json()) as { access_token?: string; error?: string };
  if (!json.access_token) throw new Error(`no token: ${JSON.stringify(json)}`);
  return json.access_token;
}

/** A tooling client (global, or bound to one company) and a token for it. */
export async function toolingToken(env: TestEnvironment, instance: TestInstance, companyId: string | null = null): Promise<string> {
  const client = await createRelyingParty(env.db, env.keyEncryptionKey, {
    kind: 'TOOLING', firstParty: false, companyId, grantTypes: ['client_credentials'], redirectUris: [], postLogoutRedirectUris: [],
    clientId: `tool-${randomBytes(4).toString('hex')}`,
  });
  return clientCredentialsToken(instance.issuer, client.clientId, client.clientSecret);
}

export function adminApi(instance: TestInstance, token?: string) {
  const call = async <T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(`${instance.adminUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, body: parsed as T };
  };
  return {
    call,
    get: <T = any>(path: string) => call<T>('GET', path), // eslint-disable-line @typescript-eslint/no-explicit-any
    post: <T = any>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}), // eslint-disable-line @typescript-eslint/no-explicit-any
    put: <T = any>(path: string, body: unknown) => call<T>('PUT', path, body), // eslint-disable-line @typescript-eslint/no-explicit-any
    patch: <T = any>(path: string, body: unknown) => call<T>('PATCH', path, body), // eslint-disable-line @typescript-eslint/no-explicit-any
    delete: <T = any>(path: string) => call<T>('DELETE', path), // eslint-disable-line @typescript-eslint/no-explicit-any
  };
}
