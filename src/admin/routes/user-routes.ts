import { z } from 'zod';
import { defineRoute } from '../route.js';
import { actorOf, requireCompanyAccess, type Principal } from '../principal.js';
import { problems } from '../problem.js';
import * as s from '../schemas.js';
import { userView } from '../views.js';
import type { AdminDeps } from '../admin-deps.js';
import type { Role } from '../../accounts/user.js';
import { decodeCursor, findUserRecord, searchUsers } from '../../accounts/user-search.js';
import { createUser, setUserRoles, updateUser } from '../../accounts/user-admin.js';
import { resetMfa } from '../../mfa/reset-mfa.js';

const companyParams = z.object({ companyId: s.id });
const userParams = z.object({ userId: s.id });
/** Seeing users is part of managing them, and of resetting their MFA. */
const READ_USERS: Role[] = ['MANAGE_USERS', 'MANAGE_COMPANY_MFA'];

export function userRoutes(deps: AdminDeps) {
  const loadUser = async (principal: Principal, userId: string, roles: Role[]) => {
    const user = await findUserRecord(deps.db, userId);
    if (!user) throw problems.notFound('user');
    requireCompanyAccess(principal, user.companyId, roles, 'user');
    return user;
  };

  return [
    defineRoute({
      method: 'get', path: '/admin/v1/companies/:companyId/users', tag: 'Users', summary: 'Search and list the users of a company', auth: 'bearer',
      params: companyParams, query: s.userListQuery,
      response: { status: 200, description: 'A page of users', schema: s.listOf(s.userView) },
      async handle({ principal, params, query }) {
        const company = await deps.companies.findById(deps.db, params.companyId);
        if (!company) throw problems.notFound('company');
        requireCompanyAccess(principal, company.id, READ_USERS, 'company');
        const after = query.cursor ? decodeCursor(query.cursor) : undefined;
        if (query.cursor && !after) throw problems.validation([{ field: 'query.cursor', message: 'invalid cursor' }]);
        const page = await searchUsers(deps.db, { companyId: company.id, search: query.search, sort: query.sort, order: query.order, limit: query.limit }, after);
        return { status: 200, body: { items: page.items.map(userView), nextCursor: page.nextCursor } };
      },
    }),
    defineRoute({
      method: 'post', path: '/admin/v1/companies/:companyId/users', tag: 'Users', summary: 'Create a user', auth: 'bearer',
      params: companyParams, body: s.newUserBody, errors: [409],
      response: { status: 201, description: 'The new user', schema: s.userView },
      async handle({ principal, params, body }) {
        const company = await deps.companies.findById(deps.db, params.companyId);
        if (!company) throw problems.notFound('company');
        requireCompanyAccess(principal, company.id, ['MANAGE_USERS'], 'company');
        const user = await createUser(deps, actorOf(principal), company.id, body);
        return { status: 201, body: userView((await findUserRecord(deps.db, user.id))!), headers: { Location: `/admin/v1/users/${user.id}` } };
      },
    }),
    defineRoute({
      method: 'get', path: '/admin/v1/users/:userId', tag: 'Users', summary: 'Read a user', auth: 'bearer',
      params: userParams,
      response: { status: 200, description: 'The user', schema: s.userView },
      async handle({ principal, params }) {
        return { status: 200, body: userView(await loadUser(principal, params.userId, READ_USERS)) };
      },
    }),
    defineRoute({
      method: 'patch', path: '/admin/v1/users/:userId', tag: 'Users', summary: 'Modify a user (status INACTIVE ends their sessions)', auth: 'bearer',
      params: userParams, body: s.userPatchBody,
      response: { status: 200, description: 'The user', schema: s.userView },
      async handle({ principal, params, body }) {
        const user = await loadUser(principal, params.userId, ['MANAGE_USERS']);
        await updateUser(deps, actorOf(principal), user, body);
        return { status: 200, body: userView((await findUserRecord(deps.db, user.id))!) };
      },
    }),
    defineRoute({
      method: 'get', path: '/admin/v1/users/:userId/roles', tag: 'Roles', summary: "Read a user's roles", auth: 'bearer',
      params: userParams,
      response: { status: 200, description: 'The roles', schema: s.rolesView },
      async handle({ principal, params }) {
        const user = await loadUser(principal, params.userId, READ_USERS);
        return { status: 200, body: { roles: user.roles } };
      },
    }),
    defineRoute({
      method: 'put', path: '/admin/v1/users/:userId/roles', tag: 'Roles', summary: "Replace a user's roles (not your own)", auth: 'bearer',
      params: userParams, body: s.rolesBody,
      response: { status: 200, description: 'The roles now granted', schema: s.rolesView },
      async handle({ principal, params, body }) {
        const user = await loadUser(principal, params.userId, ['MANAGE_USERS']);
        return { status: 200, body: { roles: await setUserRoles(deps, actorOf(principal), user, body.roles) } };
      },
    }),
    defineRoute({
      method: 'post', path: '/admin/v1/users/:userId/mfa/reset', tag: 'Company MFA',
      summary: "Reset a user's MFA: they register again at their next login; their sessions end", auth: 'bearer',
      params: userParams, body: s.reasonBody,
      response: { status: 200, description: 'The user after the reset', schema: s.userView },
      async handle({ principal, params, body }) {
        const user = await loadUser(principal, params.userId, ['MANAGE_COMPANY_MFA']);
        await resetMfa(deps, { userId: user.id, actor: actorOf(principal), reason: body.reason });
        return { status: 200, body: userView((await findUserRecord(deps.db, user.id))!) };
      },
    }),
    defineRoute({
      method: 'post', path: '/admin/v1/users/:userId/password-reset', tag: 'Users', summary: 'Email the user a single-use password reset link (30 minutes)', auth: 'bearer',
      params: userParams, errors: [409],
      response: { status: 202, description: 'The email is on its way', schema: z.object({ message: z.string() }) },
      async handle({ principal, params }) {
        const user = await loadUser(principal, params.userId, ['MANAGE_USERS']);
        if (user.status !== 'ACTIVE') throw problems.conflict('The user is inactive.');
        await deps.passwordResets.requestForUser(user, actorOf(principal));
        return { status: 202, body: { message: 'A single-use reset link (valid 30 minutes) has been emailed to the user.' } };
      },
    }),
  ];
}
