// Who is calling the admin API, and what they may touch. A tooling client acts globally or for one
// company; a user acts only inside their own company, with rights from roles read on every call.
import type { Role, User } from '../accounts/user.js';
import { problems } from './problem.js';

export type Principal =
  | { kind: 'client'; clientId: string; companyId: string | null }
  | { kind: 'user'; user: User; roles: Role[]; clientId: string; authTime: number | undefined };

export function isGlobal(principal: Principal): boolean {
  return principal.kind === 'client' && principal.companyId === null;
}

export function principalCompanyId(principal: Principal): string | null {
  return principal.kind === 'client' ? principal.companyId : principal.user.companyId;
}

export function requireGlobal(principal: Principal): void {
  if (!isGlobal(principal)) throw problems.forbidden('Only a global tooling client may do this.');
}

/**
 * Access to one company's data. Another company's data answers 404 (its existence is not
 * revealed); the right company without a needed role answers 403.
 */
export function requireCompanyAccess(principal: Principal, companyId: string, anyOf: Role[] = [], what = 'resource'): void {
  if (isGlobal(principal)) return;
  if (principalCompanyId(principal) !== companyId) throw problems.notFound(what);
  if (principal.kind === 'client' || anyOf.length === 0) return;
  if (!anyOf.some((role) => principal.roles.includes(role))) {
    throw problems.forbidden(`This needs one of these roles: ${anyOf.join(', ')}.`);
  }
}

export function requireUser(principal: Principal): Extract<Principal, { kind: 'user' }> {
  if (principal.kind !== 'user') throw problems.forbidden('This endpoint is for users; tooling clients have no "me".');
  return principal;
}

export function actorOf(principal: Principal): { type: 'USER' | 'CLIENT'; id: string } {
  return principal.kind === 'user' ? { type: 'USER', id: principal.user.id } : { type: 'CLIENT', id: principal.clientId };
}
