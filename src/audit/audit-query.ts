// Reading the audit log: newest first, keyset-paged by id, filtered by company, user and type.
import type { Knex } from 'knex';

export interface AuditEventView {
  id: string;
  occurredAt: string;
  type: string;
  companyId: string | null;
  actor: { type: string; id: string | null };
  target: { type: string; id: string } | null;
  reason: string | null;
  details: Record<string, unknown>;
}

interface Row {
  id: number; occurred_at: Date; type: string; company_id: string | null; actor_type: string; actor_id: string | null;
  target_type: string | null; target_id: string | null; reason: string | null; details: Record<string, unknown>;
}

export async function listAuditEvents(
  db: Knex,
  filter: { companyId?: string; userId?: string; type?: string; limit: number; before?: number },
): Promise<{ items: AuditEventView[]; nextBefore?: number }> {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  if ((filter.companyId && !uuid.test(filter.companyId)) || (filter.userId && filter.userId.length > 100)) return { items: [] };
  const query = db<Row>('audit_events');
  if (filter.companyId) query.where('company_id', filter.companyId);
  if (filter.userId) query.where((q) => q.where('target_id', filter.userId!).orWhere('actor_id', filter.userId!));
  if (filter.type) query.where('type', filter.type);
  if (filter.before !== undefined) query.where('id', '<', filter.before);
  const rows = await query.orderBy('id', 'desc').limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  return {
    items: page.map((r) => ({
      id: String(r.id),
      occurredAt: r.occurred_at.toISOString(),
      type: r.type,
      companyId: r.company_id,
      actor: { type: r.actor_type, id: r.actor_id },
      target: r.target_type && r.target_id ? { type: r.target_type, id: r.target_id } : null,
      reason: r.reason,
      details: r.details,
    })),
    nextBefore: rows.length > filter.limit ? page[page.length - 1]?.id : undefined,
  };
}
