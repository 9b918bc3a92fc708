// The audit log: every change records who, when, what and through which channel.
import { is, SQL } from 'drizzle-orm';
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

/** Multi-row audit inserts for bulk changes, chunked to stay under D1's 100 bound parameters per statement. */
export function auditInsertMany(db: Db, entries: Array<AuditEntry | (Omit<AuditEntry, 'entityId'> & { entityId: SQL })>) {
  const rows = entries.map((e) => ({
    at: e.at,
    actor: e.actor,
    personId: e.personId ?? null,
    channel: e.channel,
    action: e.action,
    entity: e.entity,
    // A SQL entity id is a subquery for a row inserted earlier in the same batch.
    entityId: e.entityId == null ? null : is(e.entityId, SQL) ? e.entityId : String(e.entityId),
    detail: e.detail ?? null,
  }));
  const size = 11; // 8 columns x 11 rows = 88 parameters
  const out = [];
  for (let i = 0; i < rows.length; i += size) out.push(db.insert(auditLog).values(rows.slice(i, i + size)));
  return out;
}
