// RFC 9457 problem details: the admin API's only error shape. `type` is a stable URN per problem;
// clients branch on it, people read `title` and `detail`.
import type { Middleware } from 'koa';
import type { Logger } from '../logger.js';
import { dependencyOf, isDependencyError } from '../http/dependency-errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { AppError } from '../errors.js';

export interface FieldError {
  field: string;
  message: string;
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? title);
  }
}

export const problems = {
  unauthorized: (detail = 'A valid bearer access token for the admin API is required.', wwwAuthenticate = 'Bearer realm="callrec-auth-admin"') =>
    new ProblemError(401, 'unauthorized', 'Unauthorized', detail, { headers: { 'WWW-Authenticate': wwwAuthenticate } }),
  forbidden: (detail: string) => new ProblemError(403, 'forbidden', 'Forbidden', detail),
  notFound: (what = 'resource') => new ProblemError(404, 'not_found', 'Not Found', `No such ${what}.`),
  conflict: (detail: string) => new ProblemError(409, 'conflict', 'Conflict', detail),
  validation: (errors: FieldError[], detail = 'The request is not valid.') => new ProblemError(400, 'validation', 'Bad Request', detail, { errors }),
  badRequest: (detail: string) => new ProblemError(400, 'bad_request', 'Bad Request', detail),
};

const TITLES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Content', 503: 'Service Unavailable' };

export function problemType(code: string): string {
  return `urn:callrec-auth:problem:${code}`;
}

/** Every error leaves the admin listener as problem+json; unknown ones are logged and stay opaque. */
export function problemResponses(logger: Logger, metrics?: Metrics): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw problems.notFound();
      if (ctx.status === 405 && ctx.body === undefined) throw new ProblemError(405, 'method_not_allowed', 'Method Not Allowed', `${ctx.method} is not allowed here.`);
    } catch (err) {
      let problem: ProblemError;
      if (err instanceof ProblemError) {
        problem = err;
      } else if (err instanceof AppError && (err.expose || err.status === 503)) {
        problem = new ProblemError(err.status, err.code, TITLES[err.status] ?? 'Error', err.message, err.status === 503 ? { headers: { 'Retry-After': '2' } } : {});
      } else if (isDependencyError(err)) {
        metrics?.dependencyErrors.inc({ dependency: dependencyOf(err) });
        logger.warn({ err: { message: (err as Error).message }, path: ctx.path }, 'admin dependency unavailable');
        problem = new ProblemError(503, 'unavailable', 'Service Unavailable', 'A backing service is unavailable; retry shortly.', { headers: { 'Retry-After': '5' } });
      } else {
        const status = (err as { status?: number }).status;
        if (status === 413) problem = new ProblemError(413, 'payload_too_large', 'Payload Too Large', 'The request body is larger than 100 kB.');
        else if (status === 415) problem = new ProblemError(415, 'unsupported_media_type', 'Unsupported Media Type', 'Send JSON (application/json).');
        else if (status && status >= 400 && status < 500) problem = new ProblemError(status, 'bad_request', 'Bad Request', 'The request could not be read.');
        else {
          logger.error({ err, path: ctx.path }, 'admin API error');
          problem = new ProblemError(500, 'internal', 'Internal Server Error', 'An unexpected error occurred.');
        }
      }
      for (const [name, value] of Object.entries(problem.extra.headers ?? {})) ctx.set(name, value);
      ctx.status = problem.status;
      ctx.type = 'application/problem+json';
      ctx.body = {
        type: problemType(problem.code),
        title: problem.title,
        status: problem.status,
        ...(problem.detail ? { detail: problem.detail } : {}),
        ...(problem.extra.errors ? { errors: problem.extra.errors } : {}),
      };
    }
  };
}
