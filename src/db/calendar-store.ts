// Office-entered holiday years, kept in `settings` under 'calendar:<year>' and installed into the domain calendar
// (setCalendarOverrides) before a pass or a command runs, on Node and Workers alike.
import { eq, like } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from './client.js';
import { auditInsert } from './audit.js';
import { runBatch } from './batch.js';
import { settings } from './schema.js';
import { setCalendarOverrides, type YearCalendar } from '../domain/calendar.js';

export const CALENDAR_PREFIX = 'calendar:';

const dateRe = /^\d{4}-\d{2}-\d{2}$/;
const yearValue = z.object({
  year: z.number().int().min(2000).max(2100),
  holidays: z.record(z.string().regex(dateRe), z.string().min(1).max(20)),
  workdays: z.array(z.string().regex(dateRe)),
  source: z.string().max(20_000).optional(),
  setAt: z.number().optional(),
});

/** Read every entered year and install them into the domain calendar; returns them. */
export async function loadCalendarOverrides(db: Db): Promise<YearCalendar[]> {
  const rows = await db.select({ value: settings.value }).from(settings).where(like(settings.key, `${CALENDAR_PREFIX}%`));
  const list: YearCalendar[] = [];
  for (const r of rows) {
    const v = yearValue.safeParse(r.value);
    if (v.success) list.push({ year: v.data.year, holidays: v.data.holidays, workdays: v.data.workdays });
  }
  setCalendarOverrides(list);
  return list;
}

/** Store a year's holidays and make-up workdays (replacing an earlier entry for that year); audited. */
export async function saveCalendarYear(
  db: Db,
  c: YearCalendar & { source?: string },
  opts: { now: number; actor: string; personId?: number | null; channel: string },
): Promise<void> {
  const key = `${CALENDAR_PREFIX}${c.year}`;
  const value = { year: c.year, holidays: c.holidays, workdays: c.workdays, source: c.source?.slice(0, 20_000), setAt: opts.now };
  await runBatch(db, [
    db.insert(settings).values({ key, value, updatedAt: opts.now }).onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: opts.now } }),
    auditInsert(db, {
      at: opts.now, actor: opts.actor, personId: opts.personId ?? null, channel: opts.channel, action: 'calendar.set',
      entity: 'calendar', entityId: String(c.year),
      detail: { holidays: Object.keys(c.holidays).length, workdays: c.workdays.length },
    }),
  ]);
  await loadCalendarOverrides(db);
}

/** Remove a year's entry (the library's data, if any, applies again). Returns false when there was none. */
export async function clearCalendarYear(
  db: Db,
  year: number,
  opts: { now: number; actor: string; personId?: number | null; channel: string },
): Promise<boolean> {
  const key = `${CALENDAR_PREFIX}${year}`;
  const [r] = await runBatch(db, [
    db.delete(settings).where(eq(settings.key, key)).returning({ key: settings.key }),
    auditInsert(db, {
      at: opts.now, actor: opts.actor, personId: opts.personId ?? null, channel: opts.channel, action: 'calendar.clear',
      entity: 'calendar', entityId: String(year),
    }),
  ]);
  await loadCalendarOverrides(db);
  return (r as unknown[]).length > 0;
}
