// wrangler.toml's Cron Triggers and the worker's cron -> jobs mapping agree.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEDULER_CRON } from '../src/scheduler/cron.js';
import { PASS_CRON, SENDER_CRON, jobsForCron } from '../src/worker-schedule.js';

function wranglerCrons(): string[] {
  const toml = fs.readFileSync('wrangler.toml', 'utf8');
  const block = /\[triggers\][\s\S]*?crons\s*=\s*\[([\s\S]*?)\]/.exec(toml)?.[1] ?? '';
  return [...block.matchAll(/^\s*"([^"]+)"/gm)].map((m) => m[1]!);
}

describe('worker schedule', () => {
  it('wrangler.toml triggers exactly the pass and the sender crons', () => {
    expect(wranglerCrons().sort()).toEqual([PASS_CRON, SENDER_CRON].sort());
  });

  it('the pass runs on the same minutes as Node (Shanghai is UTC+8, whole hours); both use withSchedulerLease', () => {
    expect(PASS_CRON).toBe(SCHEDULER_CRON);
  });

  it('the sender trigger only sends; the pass trigger runs a pass, then sends', () => {
    expect(jobsForCron(SENDER_CRON)).toEqual(['send']);
    expect(jobsForCron(PASS_CRON)).toEqual(['pass', 'send']);
    expect(jobsForCron('0 0 * * 1')).toEqual(['pass', 'send']);
  });
});
