// CSRF protection for the login forms. The interaction cookie is SameSite=Lax and scoped to the
// interaction's path; on top of that each form carries HMAC(key, uid), and a cross-origin Origin
// header is refused outright.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface Csrf {
  tokenFor(uid: string): string;
  verify(uid: string, token: unknown): boolean;
}

export function createCsrf(key: string): Csrf {
  const tokenFor = (uid: string) => createHmac('sha256', key).update(`csrf:${uid}`).digest('base64url');
  return {
    tokenFor,
    verify(uid, token) {
      if (typeof token !== 'string') return false;
      const expected = Buffer.from(tokenFor(uid));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

export function isSameOrigin(originHeader: string | undefined, issuer: string): boolean {
  if (!originHeader) return true; // Old browsers and no-JS form posts may omit it; the token still applies.
  return originHeader === new URL(issuer).origin;
}
