// /healthz: the process answers. /readyz: PostgreSQL and Redis answer within a second, and the
// process is not draining; the body names what is down so operators need not guess.
import type { Middleware } from 'koa';

export interface ReadinessCheck {
  name: string;
  check(): Promise<unknown>;
}

export interface HealthState { draining: boolean }

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e as Error); });
  });
}

export function healthRoutes(checks: ReadinessCheck[], state: HealthState): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/healthz') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path !== '/readyz') return next();
    const results = await Promise.all(checks.map(async ({ name, check }) => {
      try {
        await withTimeout(check(), 1000);
        return [name, 'up'] as const;
      } catch {
        return [name, 'down'] as const;
      }
    }));
    const dependencies = Object.fromEntries(results);
    const ready = !state.draining && results.every(([, s]) => s === 'up');
    ctx.set('Cache-Control', 'no-store');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : state.draining ? 'draining' : 'unavailable', dependencies };
  };
}
