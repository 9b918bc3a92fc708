// A fixed scenario over the small plan: progress, an extension request, escalations and metric reports
// recorded by mid/late June 2022, used by the stats, digest and office-view tests.
import type { Db } from '../../src/db/client.js';
import { insertPlan, logReminder, recordProgress, reportMetric, requestExtension, smallPlan, type SeededPlan } from './plan-fixture.js';

const at = (iso: string) => Date.parse(iso);

export async function seedScenario(db: Db): Promise<SeededPlan> {
  const p = await insertPlan(db, smallPlan());
  const a = p.assignmentId;
  await recordProgress(db, a('3.1.1', '市发展改革委'), { state: 'closed', percent: 100 }, at('2022-06-10T02:00:00Z'));
  await recordProgress(db, a('3.1.1', '市生态环境局'), { state: 'claimed', percent: 100 }, at('2022-06-12T02:00:00Z'));
  await recordProgress(db, a('4.1.1', '市生态环境局'), { state: 'in_progress', percent: 50 }, at('2022-06-13T02:00:00Z'));
  await recordProgress(db, a('4.1.1', '安定区'), { state: 'closed', percent: 100 }, at('2022-06-14T02:00:00Z'));
  await recordProgress(db, a('5.1.1', '市水务局'), { state: 'in_progress', percent: 30 }, at('2022-06-01T02:00:00Z'));
  await recordProgress(db, a('5.1.1', '安定区'), { state: 'closed', percent: 100 }, at('2022-05-30T02:00:00Z'));
  await recordProgress(db, a('8.1.1', '陇西县'), { state: 'claimed', percent: 100 }, at('2022-06-18T02:00:00Z'));
  await recordProgress(db, a('6.1.1', '市生态环境局'), { state: 'in_progress', percent: 40 }, at('2022-06-15T02:00:00Z'));
  await requestExtension(db, a('8.1.1', '市生态环境局'), '2022-06-20', '2022-07-31', '设备采购延迟', at('2022-06-21T02:00:00Z'));
  await logReminder(db, a('5.1.1', '市水务局'), 'after:3:2022-05-31', '2022-05-31', 0, at('2022-06-03T01:00:00Z'));
  await logReminder(db, a('5.1.1', '市水务局'), 'escalate:office:2022-05-31', '2022-05-31', 2, at('2022-06-08T01:00:00Z'));
  await reportMetric(db, p.targetId('T-PM25-2025'), 26, at('2022-05-05T02:00:00Z'));
  await reportMetric(db, p.targetId('T-PM25-2025'), 23.5, at('2022-06-05T02:00:00Z'));
  await reportMetric(db, p.targetId('T-AQ-2025'), 80.2, at('2022-06-05T02:00:00Z'));
  return p;
}
