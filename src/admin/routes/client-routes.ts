import { z } from 'zod';
import { defineRoute } from '../route.js';
import { actorOf, requireGlobal } from '../principal.js';
import { problems } from '../problem.js';
import * as s from '../schemas.js';
import { clientView } from '../views.js';
import type { AdminDeps } from '../admin-deps.js';
import { deleteClient, registerClient, rotateClientSecret } from '../../oidc/client-admin.js';

const clientParams = z.object({ clientId: s.id });

export function clientRoutes(deps: AdminDeps) {
  const load = async (clientId: string) => {
    const client = await deps.clients.find(deps.db, clientId);
    if (!client) throw problems.notFound('client');
    return client;
  };
  return [
    defineRoute({
      method: 'get', path: '/admin/v1/clients', tag: 'Clients', summary: 'List OIDC clients (global tooling only)', auth: 'bearer',
      query: z.object(s.pageQuery),
      response: { status: 200, description: 'A page of clients', schema: s.listOf(s.clientView) },
      async handle({ principal, query }) {
        requireGlobal(principal);
        const page = await deps.clients.list(deps.db, { limit: query.limit, after: query.cursor });
        return { status: 200, body: { items: page.items.map(clientView), nextCursor: page.next ?? null } };
      },
    }),
    defineRoute({
      method: 'post', path: '/admin/v1/clients', tag: 'Clients', summary: 'Register a client; its secret is shown once', auth: 'bearer',
      body: s.newClientBody,
      response: { status: 201, description: 'The client and its secret', schema: s.clientWithSecretView },
      async handle({ principal, body }) {
        requireGlobal(principal);
        if (body.companyId && !(await deps.companies.findById(deps.db, body.companyId))) throw problems.validation([{ field: 'body.companyId', message: 'no such company' }]);
        const { client, clientSecret } = await registerClient(deps, actorOf(principal), body);
        return { status: 201, body: { ...clientView(client), clientSecret }, headers: { Location: `/admin/v1/clients/${client.clientId}` } };
      },
    }),
    defineRoute({
      method: 'get', path: '/admin/v1/clients/:clientId', tag: 'Clients', summary: 'Read a client', auth: 'bearer',
      params: clientParams,
      response: { status: 200, description: 'The client', schema: s.clientView },
      async handle({ principal, params }) {
        requireGlobal(principal);
        return { status: 200, body: clientView(await load(params.clientId)) };
      },
    }),
    defineRoute({
      method: 'delete', path: '/admin/v1/clients/:clientId', tag: 'Clients', summary: 'Delete a client', auth: 'bearer',
      params: clientParams,
      response: { status: 204, description: 'Deleted' },
      async handle({ principal, params }) {
        requireGlobal(principal);
        await load(params.clientId);
        if (params.clientId === principal.clientId) throw problems.conflict('A client cannot delete itself.');
        await deleteClient(deps, actorOf(principal), params.clientId);
        deps.invalidateClient(params.clientId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post', path: '/admin/v1/clients/:clientId/secret', tag: 'Clients', summary: "Rotate a client's secret; the new one is shown once", auth: 'bearer',
      params: clientParams,
      response: { status: 200, description: 'The new secret', schema: s.clientSecretView },
      async handle({ principal, params }) {
        requireGlobal(principal);
        await load(params.clientId);
        const clientSecret = await rotateClientSecret(deps, actorOf(principal), params.clientId);
        deps.invalidateClient(params.clientId);
        return { status: 200, body: { clientId: params.clientId, clientSecret } };
      },
    }),
  ];
}
