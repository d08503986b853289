// The admin listener (ADMIN_PORT, cluster-internal). It answers health and problem+json; the
// /admin/v1 REST API is built by the admin API issue (see README, "Not yet built").
import Koa from 'koa';
import type { Logger } from '../logger.js';
import { healthRoutes, type HealthState, type ReadinessCheck } from '../http/health-routes.js';

export interface AdminAppDeps {
  logger: Logger;
  checks: ReadinessCheck[];
  health: HealthState;
}

export function createAdminApp({ logger, checks, health }: AdminAppDeps): Koa {
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      logger.error({ err, path: ctx.path }, 'admin listener error');
      ctx.status = 500;
      ctx.type = 'application/problem+json';
      ctx.body = { type: 'about:blank', title: 'Internal Server Error', status: 500 };
    }
    if (ctx.status === 404 && !ctx.body) {
      ctx.status = 404;
      ctx.type = 'application/problem+json';
      ctx.body = { type: 'about:blank', title: 'Not Found', status: 404, detail: `No resource at ${ctx.path}` };
    }
  });
  app.use(healthRoutes(checks, health));
  return app;
}
