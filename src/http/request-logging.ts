// One log line per request with a request id (taken from X-Request-Id when a proxy set a sane one).
// Only method, route path, status and timing are logged: never query strings, bodies or cookies.
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';

/** A bounded route label: the matched route pattern or oidc-provider's route name, else "other". */
function routeLabel(ctx: Parameters<Middleware>[0]): string {
  const matched = (ctx as unknown as { _matchedRoute?: string })._matchedRoute;
  const oidcRoute = (ctx as unknown as { oidc?: { route?: string } }).oidc?.route;
  return matched ?? oidcRoute ?? (ctx.status === 404 ? 'not_found' : 'other');
}

export function requestLogging(logger: Logger, metrics?: Metrics, listener = 'public'): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('X-Request-Id');
    const requestId = /^[\w.-]{8,128}$/.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (metrics) {
        const route = routeLabel(ctx);
        metrics.httpRequests.inc({ listener, route, method: ctx.method, status: String(ctx.status) });
        metrics.httpDuration.observe({ listener, route, method: ctx.method }, ms / 1000);
      }
      logger.debug({ requestId, method: ctx.method, path: ctx.path.replace(/\/interaction\/[^/]+/, '/interaction/:uid'), status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
    }
  };
}
