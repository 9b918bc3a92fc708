// The audit log: every change records who, when, what and through which channel.
import type { Db } from './client.js';
import { auditLog } from './schema.js';

export interface AuditEntry {
  at: number;
  actor: string;
  personId?: number | null;
  channel: string;
  action: string;
  entity: string;
  entityId?: string | number | null;
  detail?: Record<string, unknown>;
}

/** The insert for one audit entry, to batch with the change it records. */
export function auditInsert(db: Db, e: AuditEntry) {
  return db.insert(auditLog).values({
    at: e.at,
    actor: e.actor,
    personId: e.personId ?? null,
    channel: e.channel,
    action: e.action,
    entity: e.entity,
    entityId: e.entityId == null ? null : String(e.entityId),
    detail: e.detail ?? null,
  });
}

export function actorOf(personId: number | null | undefined): string {
  return personId ? `person:${personId}` : 'system';
}
