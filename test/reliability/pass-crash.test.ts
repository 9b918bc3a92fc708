// Reliability: the service dies in the middle of a scheduler pass, at the worst moment (a slice's claims are
// committed, its messages are not). Nothing may be lost: the next pass gives those claims back and queues every
// reminder once.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { parseConfig } from '../../src/config.js';
import { openNodeDatabase } from '../../src/db/node.js';
import { auditLog, outbox, reminderLog, schedulerSlices } from '../../src/db/schema.js';
import { shanghaiInstant } from '../../src/domain/dates.js';
import { DEAD_SLICE_MS, runSchedulerPass } from '../../src/scheduler/pass.js';
import { bindContacts, seedPlan, SURVEY_TITLE } from '../scheduler/fixture.js';

const AT = shanghaiInstant('2022-06-16', '09:30');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('a scheduler pass killed between claiming and queueing', () => {
  it('loses nothing: the next pass gives the claims back and queues each reminder once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-pass-crash-'));
    dirs.push(dir);
    const file = path.join(dir, 'db.sqlite');
    const seed = openNodeDatabase(file);
    await seedPlan(seed.db);
    const contacts = await bindContacts(seed.db);
    seed.close();

    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/helpers/pass-crash-child.ts', file, String(AT)], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.signal).toBe('SIGKILL');
    expect(child.stdout).not.toContain('PASS_FINISHED');

    const after = openNodeDatabase(file);
    try {
      const { db } = after;
      // The state the crash left: a slice's claims and its journal row, none of its messages.
      const [slice] = await db.select().from(schedulerSlices);
      expect(slice).toBeDefined();
      const claims = await db.select().from(reminderLog).where(eq(reminderLog.plannedAt, AT));
      expect(claims.length).toBeGreaterThan(0);
      expect(claims.every((c) => c.id >= slice!.firstClaimId && c.id <= slice!.lastClaimId!)).toBe(true);
      expect(await db.select().from(outbox)).toHaveLength(0);

      // A pass soon after (another process could still be working on that slice) leaves it alone.
      const soon = await runSchedulerPass({ db, config: parseConfig({}), clock: () => slice!.createdAt + 60_000 }, AT);
      expect(soon.warnings.join()).not.toMatch(/中断/);
      expect(await db.select().from(schedulerSlices)).toHaveLength(1);

      // Once the journal row is clearly a dead pass's, the next pass gives its claims back and sends them.
      const later = await runSchedulerPass({ db, config: parseConfig({}), clock: () => slice!.createdAt + DEAD_SLICE_MS + 1 }, AT);
      expect(later.warnings.join()).toMatch(new RegExp(`${claims.length} 项已认领但未排队`));
      expect(await db.select().from(schedulerSlices)).toHaveLength(0);
      const rows = await db.select().from(outbox);
      const survey = rows.filter((r) => r.purpose === 'reminder' && r.content.includes(SURVEY_TITLE));
      expect(survey).toHaveLength(contacts.size);
      expect(new Set(rows.map((r) => r.dedupeKey)).size).toBe(rows.length);
      // Every claim of the pass now has what it queued: nothing claimed and left unsent.
      const step = await db.select().from(reminderLog).where(eq(reminderLog.plannedAt, AT));
      // (A unit's periodic requests share one card, which names no single assignment.)
      const reminders = step.filter((c) => c.kind === 'reminder' && !c.stepKey.startsWith('periodic:'));
      expect(reminders.length).toBeGreaterThan(0);
      for (const c of reminders) expect(rows.some((r) => r.assignmentId === c.assignmentId)).toBe(true);
      if (step.some((c) => c.stepKey.startsWith('periodic:'))) expect(rows.some((r) => r.dedupeKey.startsWith('periodic:'))).toBe(true);
      const audit = await db.select().from(auditLog).where(eq(auditLog.action, 'reminder.recovered'));
      expect(audit).toHaveLength(1);
      // And a further pass has nothing left to do.
      const again = await runSchedulerPass({ db, config: parseConfig({}), clock: () => slice!.createdAt + DEAD_SLICE_MS + 2 }, AT);
      expect(again.queued).toHaveLength(0);
    } finally {
      after.close();
    }
  });
});
