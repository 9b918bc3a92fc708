// Which of the scheduled jobs (src/scheduler/run.ts runScheduledJobs) each Cron Trigger runs. wrangler.toml's
// [triggers] crons are the UTC equivalents of the Node schedule (src/scheduler/cron.ts: every 15 minutes in
// Asia/Shanghai = UTC+8 all year, so the same minutes in UTC); Node's continuous outbox loop becomes an every-minute
// trigger.
import type { ScheduledJob } from './scheduler/run.js';

export const SENDER_CRON = '* * * * *';
export const PASS_CRON = '*/15 * * * *';

export type { ScheduledJob };

/**
 * The sender's trigger only drains the outbox. Any other trigger (the pass's, or one an operator adds) runs a
 * scheduler pass and then drains what it queued, so a reminder does not wait for the next minute.
 */
export function jobsForCron(cron: string): ScheduledJob[] {
  return cron.trim() === SENDER_CRON ? ['send'] : ['pass', 'send'];
}
