// Companies, users, role grants, OIDC clients, signing keys and the audit log.
import type { Knex } from 'knex';

export const name = '20261204000001_initial';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('companies', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable();
    t.text('mfa_policy').notNullable().defaultTo('DISABLED');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("mfa_policy in ('DISABLED', 'AVAILABLE', 'ENABLED')", [], 'companies_mfa_policy_check');
  });

  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('company_id').notNullable().references('id').inTable('companies').onDelete('RESTRICT');
    t.text('username').notNullable();
    t.text('first_name').notNullable().defaultTo('');
    t.text('last_name').notNullable().defaultTo('');
    t.text('email').notNullable().defaultTo('');
    t.text('telephony_username');
    t.text('policy').notNullable().defaultTo('COMPANY');
    t.text('status').notNullable().defaultTo('ACTIVE');
    // argon2id PHC string; null means the user cannot log in with a password yet.
    t.text('password_hash');
    t.timestamp('password_changed_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("policy in ('COMPANY', 'GLOBAL', 'STAFF', 'TEAM')", [], 'users_policy_check');
    t.check("status in ('ACTIVE', 'INACTIVE')", [], 'users_status_check');
    t.index(['company_id']);
  });
  // The login page asks no company, so usernames are unique across all companies, ignoring case.
  await knex.raw('create unique index users_username_lower_unique on users (lower(username))');

  await knex.schema.createTable('user_roles', (t) => {
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.uuid('company_id').notNullable().references('id').inTable('companies');
    t.text('role').notNullable();
    t.timestamp('granted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['user_id', 'role']);
    t.check("role in ('MANAGE_OWN_MFA', 'MANAGE_COMPANY_MFA', 'MANAGE_USERS')", [], 'user_roles_role_check');
    t.index(['company_id']);
  });

  await knex.schema.createTable('oidc_clients', (t) => {
    t.text('client_id').primary();
    t.text('name').notNullable();
    // Null: a relying party or a global tooling client. Set: a tooling client bound to one company.
    t.uuid('company_id').references('id').inTable('companies');
    t.text('kind').notNullable();
    // Client secrets are high-entropy random strings: sealed (AES-GCM), not slow-hashed, because
    // the provider must compare them on every token request.
    t.text('secret_sealed');
    t.boolean('first_party').notNullable().defaultTo(false);
    t.jsonb('metadata').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("kind in ('RELYING_PARTY', 'TOOLING')", [], 'oidc_clients_kind_check');
  });

  await knex.schema.createTable('signing_keys', (t) => {
    t.text('kid').primary();
    t.text('alg').notNullable();
    t.text('private_jwk_sealed').notNullable();
    t.jsonb('public_jwk').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // A key signs from activates_at; it is published until retires_at (rotation in the ops issue).
    t.timestamp('activates_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('retires_at', { useTz: true });
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary();
    t.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('type').notNullable();
    t.uuid('company_id');
    t.text('actor_type').notNullable();
    t.text('actor_id');
    t.text('target_type');
    t.text('target_id');
    t.text('reason');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.index(['company_id', 'id']);
    t.index(['target_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_events', 'signing_keys', 'oidc_clients', 'user_roles', 'users', 'companies']) {
    await knex.schema.dropTableIfExists(table);
  }
}
