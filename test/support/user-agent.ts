// A minimal browser for HTTP-level journeys: a cookie jar that honours Path, manual redirects, and
// form fields read from the returned HTML. (The Chromium suites cover real rendering.)

interface Cookie { name: string; value: string; path: string }

export interface PageResponse {
  status: number;
  url: string;
  location: string | undefined;
  body: string;
  headers: Headers;
}

export class UserAgent {
  private cookies: Cookie[] = [];

  cookieHeader(url: URL): string {
    return this.cookies.filter((c) => url.pathname.startsWith(c.path)).map((c) => `${c.name}=${c.value}`).join('; ');
  }

  /** All cookies, for tests that swap them between agents. */
  exportCookies(): Cookie[] { return this.cookies.map((c) => ({ ...c })); }
  importCookies(cookies: Cookie[]): void { this.cookies = cookies.map((c) => ({ ...c })); }

  private store(url: URL, headers: Headers) {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      let path = '/';
      let expired = false;
      for (const attr of attributes) {
        const [k, v = ''] = attr.split('=');
        if (k!.toLowerCase() === 'path') path = v;
        if (k!.toLowerCase() === 'expires' && new Date(v).getTime() < Date.now()) expired = true;
        if (k!.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      void url;
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path));
      if (!expired) this.cookies.push({ name, value, path });
    }
  }

  async request(url: string | URL, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<PageResponse> {
    const target = new URL(url);
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(target, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.store(target, res.headers);
    const location = res.headers.get('location') ?? undefined;
    return { status: res.status, url: target.href, location: location ? new URL(location, target).href : undefined, body: await res.text(), headers: res.headers };
  }

  /** GETs a URL and follows redirects until `stopAt` matches or a page (non-redirect) answers. */
  async follow(url: string, stopAt: (url: URL) => boolean = () => false, maxHops = 15): Promise<PageResponse> {
    let response = await this.request(url);
    for (let hop = 0; hop < maxHops && response.location; hop++) {
      if (stopAt(new URL(response.location))) return response;
      response = await this.request(response.location);
    }
    return response;
  }

  async submit(page: PageResponse, fields: Record<string, string>, formIndex = 0): Promise<PageResponse> {
    const form = parseForms(page.body)[formIndex];
    if (!form) throw new Error(`no form on ${page.url}: ${page.body.slice(0, 300)}`);
    return this.request(new URL(form.action, page.url), { form: { ...form.hidden, ...fields }, headers: { origin: new URL(page.url).origin } });
  }
}

export interface ParsedForm { action: string; hidden: Record<string, string> }

function decodeEntities(s: string): string {
  return s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

export function parseForms(html: string): ParsedForm[] {
  const forms: ParsedForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const action = /action="([^"]*)"/.exec(match[1]!)?.[1] ?? '';
    const hidden: Record<string, string> = {};
    for (const input of match[2]!.matchAll(/<input\b[^>]*type="hidden"[^>]*>/g)) {
      const name = /name="([^"]*)"/.exec(input[0])?.[1];
      const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
      if (name) hidden[name] = decodeEntities(value);
    }
    forms.push({ action: decodeEntities(action), hidden });
  }
  return forms;
}
