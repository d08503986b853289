// The outermost middleware of the public listener: whatever goes wrong below, a person sees a page
// in the product's style, never a stack trace or JSON. Expected errors keep their 4xx status.
import type { Middleware } from 'koa';
import { errors } from 'oidc-provider';
import type { Logger } from '../logger.js';
import type { Views } from './views.js';
import { dependencyOf, isDependencyError } from './dependency-errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { AppError } from '../errors.js';

export function renderPageErrors(views: Views, logger: Logger, metrics?: Metrics): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && !ctx.body) {
        views.message(ctx, 404, { title: 'Not found', heading: 'Page not found', paragraphs: ['The page you asked for does not exist.'] });
      }
    } catch (err) {
      const error = err as Error & { status?: number; expose?: boolean };
      if (err instanceof errors.SessionNotFound || err instanceof errors.InvalidRequest && /interaction/.test(error.message)) {
        views.message(ctx, 400, {
          title: 'Login expired',
          heading: 'Your login has expired',
          paragraphs: ['This login page is no longer valid: it has expired, or it was opened in another browser or tab.', 'Please go back to the application and log in again.'],
        });
        return;
      }
      if (error.status && error.status >= 400 && error.status < 500 && error.expose !== false) {
        views.message(ctx, error.status, { title: 'Request problem', heading: 'We could not process that request', paragraphs: [error.expose ? error.message : 'The request was not valid.', 'Please go back and try again.'] });
        return;
      }
      if (err instanceof AppError && err.status === 503) {
        ctx.set('Retry-After', '2');
        views.message(ctx, 503, { title: 'Busy', heading: 'Service busy', paragraphs: [err.message] });
        return;
      }
      if (isDependencyError(err)) {
        metrics?.dependencyErrors.inc({ dependency: dependencyOf(err) });
        logger.warn({ err: { name: error.name, message: error.message }, path: ctx.path }, 'dependency unavailable');
        ctx.set('Retry-After', '5');
        views.message(ctx, 503, { title: 'Unavailable', heading: 'Service temporarily unavailable', paragraphs: ['Call Recording login is briefly unavailable. Please try again in a moment.'] });
        return;
      }
      logger.error({ err, path: ctx.path }, 'unhandled error');
      views.message(ctx, 500, { title: 'Error', heading: 'Something went wrong', paragraphs: ['Please go back to the application and try again.'] });
    }
  };
}
