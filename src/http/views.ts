// Server-rendered pages. Eta escapes every <%= %> output; <%~ %> (raw) is used only for the layout
// body and oidc-provider's own logout form.
import { Eta } from 'eta';
import type { Context } from 'koa';
import { fileURLToPath } from 'node:url';

export const VIEWS_DIR = fileURLToPath(new URL('../../interactions/views', import.meta.url));

export interface Views {
  render(name: string, data: Record<string, unknown>): string;
  /** Renders a full page as the response; login pages are never cached. */
  respond(ctx: Context, status: number, name: string, data: Record<string, unknown>): void;
  /** A plain page with a heading and paragraphs, for errors and notices. */
  message(ctx: Context, status: number, page: MessagePage): void;
}

export interface MessagePage {
  title: string;
  heading: string;
  paragraphs: string[];
  link?: { href: string; text: string };
}

export function createViews(dir = VIEWS_DIR): Views {
  const eta = new Eta({ views: dir, autoEscape: true, cache: true, autoTrim: false });
  const views: Views = {
    render: (name, data) => eta.render(name, data),
    respond(ctx, status, name, data) {
      ctx.status = status;
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = eta.render(name, data);
    },
    message(ctx, status, page) {
      views.respond(ctx, status, 'message', { ...page });
    },
  };
  return views;
}
