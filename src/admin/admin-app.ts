// The admin listener (ADMIN_PORT, cluster-internal): the /admin/v1 REST API, its OpenAPI document,
// health, and (with the ops issue) metrics. Every response that is not a success is problem+json.
import Koa, { type Context } from 'koa';
import { Router } from '@koa/router';
import getRawBody from 'raw-body';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { healthRoutes, type HealthState, type ReadinessCheck } from '../http/health-routes.js';
import { requestLogging } from '../http/request-logging.js';
import { ProblemError, problemResponses, problems } from './problem.js';
import { registerRoutes, type AdminRoute } from './route.js';
import { buildOpenApiDocument } from './openapi.js';
import type { BearerAuth } from './bearer-auth.js';
import type { AdminDeps } from './admin-deps.js';
import { roleRoutes } from './routes/role-routes.js';
import { companyRoutes } from './routes/company-routes.js';
import { userRoutes } from './routes/user-routes.js';
import { meRoutes } from './routes/me-routes.js';
import { clientRoutes } from './routes/client-routes.js';
import { auditRoutes } from './routes/audit-routes.js';

export const MAX_BODY_BYTES = 100 * 1024;

export interface AdminAppDeps {
  logger: Logger;
  metrics: Metrics;
  checks: ReadinessCheck[];
  health: HealthState;
  authenticate: BearerAuth;
  admin: AdminDeps;
  issuer: string;
  audience: string;
}

/** Strict JSON bodies: application/json only, at most 100 kB, an object at the top. */
async function parseJson(ctx: Context): Promise<unknown> {
  if (!ctx.is('application/json')) {
    throw new ProblemError(415, 'unsupported_media_type', 'Unsupported Media Type', 'Send the body as application/json.');
  }
  const raw = await getRawBody(ctx.req, { limit: MAX_BODY_BYTES, length: ctx.get('Content-Length') || undefined, encoding: 'utf8' });
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw problems.badRequest('The body is not valid JSON.');
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function adminRoutes(admin: AdminDeps): AdminRoute<any, any, any>[] {
  return [...roleRoutes(), ...companyRoutes(admin), ...userRoutes(admin), ...meRoutes(admin), ...clientRoutes(admin), ...auditRoutes(admin)];
}

export function createAdminApp(deps: AdminAppDeps): Koa {
  const app = new Koa();
  const routes = adminRoutes(deps.admin);
  const openApi = buildOpenApiDocument(routes, { issuer: deps.issuer, audience: deps.audience });
  const router = new Router();
  router.get('/admin/v1/openapi.json', (ctx) => {
    ctx.body = openApi;
  });
  // Prometheus scrapes the admin listener (cluster-internal, admitted by the NetworkPolicy).
  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
  registerRoutes(router, routes, {
    authenticate: (ctx) => deps.authenticate(ctx.get('Authorization') || undefined),
    parseJson,
  });

  app.use(requestLogging(deps.logger, deps.metrics, 'admin'));
  app.use(problemResponses(deps.logger, deps.metrics));
  app.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Content-Type-Options', 'nosniff');
    await next();
  });
  app.use(healthRoutes(deps.checks, deps.health));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: false }));
  return app;
}
