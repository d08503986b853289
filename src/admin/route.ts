// An admin route declares, in one place, its method, path, who may call it, and the zod schemas of
// its path parameters, query, body and response. The same declaration validates requests at the
// edge and generates the OpenAPI document, so the two cannot drift apart.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { problems, type FieldError } from './problem.js';
import type { Principal } from './principal.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  ctx: Context;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface AdminRoute<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  /** Koa-style path, e.g. /admin/v1/users/:userId */
  path: string;
  summary: string;
  tag: string;
  /** 'none' only for the OpenAPI document itself. */
  auth: 'bearer' | 'none';
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  response?: { status: number; description: string; schema?: z.ZodType };
  /** Error statuses worth documenting beyond 400/401/403/404. */
  errors?: number[];
  handle(input: RouteInput<P, Q, B>): Promise<RouteResult>;
}

/** Helps TypeScript infer P, Q and B from the schemas. */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(route: AdminRoute<P, Q, B>): AdminRoute<P, Q, B> {
  return route;
}

function toFieldErrors(error: z.ZodError, prefix: string): FieldError[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
}

/**
 * PostgreSQL text holds neither NUL nor lone UTF-16 surrogates: refuse both at the edge, for every
 * string wherever it sits.
 */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && (value as string & { isWellFormed(): boolean }).isWellFormed();
}

function findNul(value: unknown, path: string[], depth = 0): string[] | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : path;
  if (depth > 32 || value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (!isStorableText(key)) return [...path, key];
    const found = findNul(child, [...path, key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

function parseOrThrow<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const nul = findNul(value, [where]);
  if (nul) throw problems.validation([{ field: nul.join('.'), message: 'must be valid Unicode text without NUL characters' }]);
  const result = schema.safeParse(value);
  if (!result.success) throw problems.validation(toFieldErrors(result.error, where));
  return result.data;
}

export interface RegisterOptions {
  authenticate(ctx: Context): Promise<Principal>;
  parseJson(ctx: Context): Promise<unknown>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function registerRoutes(router: Router, routes: AdminRoute<any, any, any>[], options: RegisterOptions): void {
  for (const route of routes) {
    router[route.method](route.path, async (ctx) => {
      const principal = route.auth === 'bearer' ? await options.authenticate(ctx) : (undefined as unknown as Principal);
      const params = parseOrThrow(route.params, ctx.params, 'path');
      const query = parseOrThrow(route.query, { ...ctx.query }, 'query');
      let body: unknown;
      if (route.body) {
        body = parseOrThrow(route.body, await options.parseJson(ctx), 'body');
      }
      const result = await route.handle({ params, query, body, principal, ctx });
      for (const [name, value] of Object.entries(result.headers ?? {})) ctx.set(name, value);
      ctx.status = result.status;
      if (result.body !== undefined) ctx.body = result.body;
    });
  }
}
