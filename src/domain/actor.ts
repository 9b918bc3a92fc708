// Who is speaking: the domain's words for roles and actors, and the one rule that turns a person's role rows into
// roles and contact units. Chat (resolveActor in db/people-store.ts) and the board (board/session.ts) both decide who someone is
// by rolesOfRows.

export type Role = 'office' | 'contact' | 'leader';

/** Who is speaking, resolved from the sender's open_id. */
export interface Actor {
  personId: number | null;
  openId: string;
  name?: string | null;
  roles: Role[];
  /** Units the person is a contact of. */
  unitIds: number[];
}

/**
 * Pure: a person's roles (in a fixed order) and contact units from their role rows; open_ids in OFFICE_OPEN_IDS
 * (`configuredOffice`) count as office. Chat and the board decide who someone is by this one rule.
 */
export function rolesOfRows(
  rows: ReadonlyArray<{ role: string; unitId: number }>,
  configuredOffice: boolean,
): { roles: Role[]; unitIds: number[] } {
  const set = new Set<Role>();
  const unitIds: number[] = [];
  for (const r of rows) {
    if (r.role === 'office' || r.role === 'leader') set.add(r.role);
    if (r.role === 'contact' && r.unitId > 0) {
      set.add('contact');
      unitIds.push(r.unitId);
    }
  }
  if (configuredOffice) set.add('office');
  const order: Role[] = ['office', 'contact', 'leader'];
  return { roles: order.filter((r) => set.has(r)), unitIds };
}
