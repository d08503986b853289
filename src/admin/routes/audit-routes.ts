import { defineRoute } from '../route.js';
import { isGlobal, principalCompanyId, requireCompanyAccess } from '../principal.js';
import { problems } from '../problem.js';
import * as s from '../schemas.js';
import type { AdminDeps } from '../admin-deps.js';
import { listAuditEvents } from '../../audit/audit-query.js';

export function auditRoutes(deps: AdminDeps) {
  return [
    defineRoute({
      method: 'get', path: '/admin/v1/audit-events', tag: 'Audit', summary: 'Audit events, newest first', auth: 'bearer',
      query: s.auditQuery,
      response: { status: 200, description: 'A page of events', schema: s.listOf(s.auditEventView) },
      async handle({ principal, query }) {
        // Non-global callers see their own company only, whatever they ask for.
        const companyId = isGlobal(principal) ? query.companyId : principalCompanyId(principal)!;
        if (!isGlobal(principal)) {
          if (query.companyId && query.companyId !== companyId) throw problems.notFound('company');
          requireCompanyAccess(principal, companyId!, ['MANAGE_USERS', 'MANAGE_COMPANY_MFA'], 'company');
        }
        const before = query.cursor ? Number.parseInt(query.cursor, 36) : undefined;
        if (query.cursor && !Number.isSafeInteger(before)) throw problems.validation([{ field: 'query.cursor', message: 'invalid cursor' }]);
        const page = await listAuditEvents(deps.db, { companyId, userId: query.userId, type: query.type, limit: query.limit, before });
        return { status: 200, body: { items: page.items, nextCursor: page.nextBefore === undefined ? null : page.nextBefore.toString(36) } };
      },
    }),
  ];
}
