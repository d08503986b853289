// One log line per request with a request id (taken from X-Request-Id when a proxy set a sane one).
// Only method, route path, status and timing are logged: never query strings, bodies or cookies.
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../logger.js';

export function requestLogging(logger: Logger): Middleware {
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
      logger.debug({ requestId, method: ctx.method, path: ctx.path.replace(/\/interaction\/[^/]+/, '/interaction/:uid'), status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
    }
  };
}
