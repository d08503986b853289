// Audit events are written with the same knex transaction as the change they describe, so the log
// and the data can never disagree. Details never hold secrets, codes or passwords.
import type { Knex } from 'knex';

export interface AuditActor {
  type: 'USER' | 'CLIENT' | 'SYSTEM';
  id: string | null;
}

export interface AuditEvent {
  type: string;
  companyId: string | null;
  actor: AuditActor;
  target?: { type: string; id: string };
  reason?: string | null;
  details?: Record<string, unknown>;
}

export const SYSTEM_ACTOR: AuditActor = { type: 'SYSTEM', id: null };

export async function recordAuditEvent(trx: Knex, event: AuditEvent): Promise<void> {
  await trx('audit_events').insert({
    type: event.type,
    company_id: event.companyId,
    actor_type: event.actor.type,
    actor_id: event.actor.id,
    target_type: event.target?.type ?? null,
    target_id: event.target?.id ?? null,
    reason: event.reason ?? null,
    details: JSON.stringify(event.details ?? {}),
  });
}
