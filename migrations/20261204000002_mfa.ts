// MFA: per-user opt-in, TOTP authenticators (secret sealed, last accepted time step for replay
// protection) and single-use recovery codes (HMAC digests only).
import type { Knex } from 'knex';

export const name = '20261204000002_mfa';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.boolean('mfa_opt_in').notNullable().defaultTo(false);
  });

  await knex.schema.createTable('mfa_authenticators', (t) => {
    t.uuid('user_id').primary().references('id').inTable('users').onDelete('CASCADE');
    t.uuid('company_id').notNullable().references('id').inTable('companies');
    t.text('secret_sealed').notNullable();
    // The highest TOTP time step accepted so far: a code is accepted only for a greater step.
    t.bigInteger('last_used_step');
    t.timestamp('activated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('mfa_recovery_codes', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('code_digest').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('used_at', { useTz: true });
    t.unique(['user_id', 'code_digest']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('mfa_recovery_codes');
  await knex.schema.dropTableIfExists('mfa_authenticators');
  await knex.schema.alterTable('users', (t) => t.dropColumn('mfa_opt_in'));
}
