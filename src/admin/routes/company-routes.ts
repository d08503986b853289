import { z } from 'zod';
import { defineRoute } from '../route.js';
import { actorOf, requireCompanyAccess, requireGlobal, type Principal } from '../principal.js';
import { problems } from '../problem.js';
import * as s from '../schemas.js';
import { companyView } from '../views.js';
import { createCompany, renameCompany, setCompanyMfaPolicy } from '../../companies/company-admin.js';
import type { AdminDeps } from '../admin-deps.js';
import { decodeCursor, encodeCursor } from '../../accounts/user-search.js';

const companyParams = z.object({ companyId: s.id });

export function companyRoutes(deps: AdminDeps) {
  const load = async (principal: Principal, companyId: string, roles: Parameters<typeof requireCompanyAccess>[2] = []) => {
    const company = await deps.companies.findById(deps.db, companyId);
    if (!company) throw problems.notFound('company');
    requireCompanyAccess(principal, company.id, roles, 'company');
    return company;
  };

  return [
    defineRoute({
      method: 'get', path: '/admin/v1/companies', tag: 'Companies', summary: 'List companies (global tooling only)', auth: 'bearer',
      query: z.object(s.pageQuery),
      response: { status: 200, description: 'A page of companies', schema: s.listOf(s.companyView) },
      async handle({ principal, query }) {
        requireGlobal(principal);
        const after = query.cursor ? decodeCursor(query.cursor) : undefined;
        if (query.cursor && !after) throw problems.validation([{ field: 'query.cursor', message: 'invalid cursor' }]);
        const page = await deps.companies.list(deps.db, { limit: query.limit, after });
        return { status: 200, body: { items: page.items.map(companyView), nextCursor: page.next ? encodeCursor(...page.next) : null } };
      },
    }),
    defineRoute({
      method: 'post', path: '/admin/v1/companies', tag: 'Companies', summary: 'Create a company (global tooling only)', auth: 'bearer',
      body: s.newCompanyBody,
      response: { status: 201, description: 'The new company', schema: s.companyView },
      async handle({ principal, body }) {
        requireGlobal(principal);
        const company = await createCompany(deps, actorOf(principal), body);
        return { status: 201, body: companyView(company), headers: { Location: `/admin/v1/companies/${company.id}` } };
      },
    }),
    defineRoute({
      method: 'get', path: '/admin/v1/companies/:companyId', tag: 'Companies', summary: 'Read a company', auth: 'bearer',
      params: companyParams,
      response: { status: 200, description: 'The company', schema: s.companyView },
      async handle({ principal, params }) {
        return { status: 200, body: companyView(await load(principal, params.companyId)) };
      },
    }),
    defineRoute({
      method: 'patch', path: '/admin/v1/companies/:companyId', tag: 'Companies', summary: 'Rename a company', auth: 'bearer',
      params: companyParams, body: s.companyPatchBody,
      response: { status: 200, description: 'The company', schema: s.companyView },
      async handle({ principal, params, body }) {
        const company = await load(principal, params.companyId);
        if (principal.kind === 'user') throw problems.forbidden('Only tooling clients rename companies.');
        return { status: 200, body: companyView(await renameCompany(deps, actorOf(principal), company, body.name)) };
      },
    }),
    defineRoute({
      method: 'get', path: '/admin/v1/companies/:companyId/mfa-policy', tag: 'Company MFA', summary: 'Read the company MFA policy', auth: 'bearer',
      params: companyParams,
      response: { status: 200, description: 'The policy', schema: s.mfaPolicyView },
      async handle({ principal, params }) {
        const company = await load(principal, params.companyId, ['MANAGE_COMPANY_MFA']);
        return { status: 200, body: { policy: company.mfaPolicy } };
      },
    }),
    defineRoute({
      method: 'put', path: '/admin/v1/companies/:companyId/mfa-policy', tag: 'Company MFA',
      summary: 'Set the company MFA policy (DISABLED needs confirm: "Disable MFA")', auth: 'bearer',
      params: companyParams, body: s.mfaPolicyBody,
      response: { status: 200, description: 'The policy now in force', schema: s.mfaPolicyView },
      async handle({ principal, params, body }) {
        const company = await load(principal, params.companyId, ['MANAGE_COMPANY_MFA']);
        const updated = await setCompanyMfaPolicy(deps, actorOf(principal), company, body);
        return { status: 200, body: { policy: updated.mfaPolicy } };
      },
    }),
  ];
}
