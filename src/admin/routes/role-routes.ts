import { z } from 'zod';
import { defineRoute } from '../route.js';
import * as s from '../schemas.js';
import { ROLES, type Role } from '../../accounts/user.js';

export function roleRoutes() {
  return [
    defineRoute({
      method: 'get', path: '/admin/v1/roles', tag: 'Roles', summary: 'The roles that can be granted, with the names the product shows', auth: 'bearer',
      response: { status: 200, description: 'Every role', schema: z.array(s.roleView) },
      async handle() {
        return { status: 200, body: (Object.entries(ROLES) as [Role, string][]).map(([id, name]) => ({ id, name })) };
      },
    }),
  ];
}
