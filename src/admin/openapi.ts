// Builds the OpenAPI 3.1 document from the route declarations (route.ts): the same zod schemas that
// validate requests describe them here.
import { z } from 'zod';
import type { AdminRoute } from './route.js';

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request (validation problems are listed in `errors`)',
  401: 'Missing, invalid or expired bearer token',
  403: 'The caller lacks the right',
  404: 'Not found, or not visible to the caller',
  409: 'Conflicts with the current state',
  413: 'Body larger than 100 kB',
  503: 'A backing service is unavailable',
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query') {
  if (!schema) return [];
  const json = jsonSchema(schema) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function buildOpenApiDocument(routes: AdminRoute<any, any, any>[], options: { issuer: string; audience: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const responses: Record<string, unknown> = {};
    const ok = route.response ?? { status: 204, description: 'Done' };
    responses[String(ok.status)] = ok.schema
      ? { description: ok.description, content: { 'application/json': { schema: jsonSchema(ok.schema) } } }
      : { description: ok.description };
    const errorStatuses = route.auth === 'bearer' ? [400, 401, 403, 404, ...(route.errors ?? []), 503] : [...(route.errors ?? [])];
    for (const status of new Set(errorStatuses)) {
      responses[String(status)] = { description: STATUS_TEXT[status] ?? 'Error', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
    }
    paths[path] ??= {};
    paths[path]![route.method] = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method}${path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(\w)/g, (_m, c: string) => c.toUpperCase())}`,
      ...(route.auth === 'bearer' ? { security: [{ bearer: [] }] } : { security: [] }),
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'callrec-auth admin API',
      version: '1.0.0',
      description: `Companies, users, role grants, company MFA policy, MFA resets and My MFA. Authenticate with a JWT access token from ${options.issuer}/token for the resource \`${options.audience}\` with scope \`admin\` (client credentials for tooling, or a user's token obtained by a first-party app).`,
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        oauth2: {
          type: 'oauth2',
          flows: { clientCredentials: { tokenUrl: `${options.issuer}/token`, scopes: { admin: 'Use the admin API' } } },
        },
      },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string', format: 'uri' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } }, required: ['field', 'message'] } },
          },
        },
      },
    },
    paths,
  };
}
