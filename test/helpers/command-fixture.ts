// A small plan for command tests: three units, four tasks, one target, and people in every role.
import type { Db } from '../../src/db/client.js';
import { assignments, deadlines, people, plans, roles, targets, tasks, units } from '../../src/db/schema.js';
import type { IncomingMessage } from '../../src/domain/types.js';

export const OFFICE = 'ou_office';
export const ENV = 'ou_env'; // contact of 市生态环境局
export const ANDING = 'ou_anding'; // contact of 安定区
export const LEADER = 'ou_leader';
export const STRANGER = 'ou_stranger';

export interface Fixture {
  unit: Record<'env' | 'anding' | 'housing', number>;
  task: Record<'t411' | 't412' | 't421' | 't511', number>;
  asg: Record<'t411env' | 't411anding' | 't412anding' | 't421env' | 't511env', number>;
}

export async function seedFixture(db: Db): Promise<Fixture> {
  const [plan] = await db.insert(plans).values({ code: 'dx2022', title: '定西市实施意见' }).returning();
  const u = await db
    .insert(units)
    .values([
      { name: '市生态环境局', aliases: ['生态环境局', '环境局'] },
      { name: '安定区', kind: 'county', aliases: ['安定'] },
      { name: '市住建局', aliases: ['住建局'] },
    ])
    .returning();
  const [env, anding, housing] = u.map((x) => x.id) as [number, number, number];
  const t = await db
    .insert(tasks)
    .values([
      { planId: plan!.id, code: '4.1.1', chapter: 4, section: 1, seq: 1, title: '开展工业炉窑排查', sourceText: '2022年6月底前完成工业炉窑排查，形成整治方案。' },
      { planId: plan!.id, code: '4.1.2', chapter: 4, section: 1, seq: 2, title: '整治散乱污企业', sourceText: '2022年9月底前完成散乱污企业整治。' },
      { planId: plan!.id, code: '4.2.1', chapter: 4, section: 2, seq: 1, title: 'PM2.5 浓度控制', sourceText: '到2025年，PM2.5浓度控制在24微克/立方米以内。' },
      { planId: plan!.id, code: '5.1.1', chapter: 5, section: 1, seq: 1, title: '长期巡查', sourceText: '长期坚持巡查。' },
    ])
    .returning();
  const [t411, t412, t421, t511] = t.map((x) => x.id) as [number, number, number, number];
  await db.insert(deadlines).values([
    { taskId: t411, kind: 'month_end', dueDate: '2022-06-30', label: '2022年6月底前' },
    { taskId: t412, kind: 'month_end', dueDate: '2022-09-30', label: '2022年9月底前' },
    { taskId: t421, kind: 'target_year', dueDate: '2025-12-31', label: '到2025年' },
    { taskId: t511, kind: 'ongoing', label: '长期坚持' },
  ]);
  const a = await db
    .insert(assignments)
    .values([
      { taskId: t411, unitId: env, role: 'lead' },
      { taskId: t411, unitId: anding, role: 'co' },
      { taskId: t412, unitId: anding, role: 'lead' },
      { taskId: t421, unitId: env, role: 'lead' },
      { taskId: t511, unitId: env, role: 'lead' },
    ])
    .returning();
  await db.insert(targets).values({ planId: plan!.id, taskId: t421, code: 'T-PM25', indicator: 'PM2.5', aliases: ['细颗粒物'], comparator: '<=', value: 24, unit: 'μg/m³', year: 2025 });
  const p = await db
    .insert(people)
    .values([
      { openId: ENV, name: '张环' },
      { openId: ANDING, name: '李安' },
      { openId: LEADER, name: '王领导' },
    ])
    .returning();
  await db.insert(roles).values([
    { personId: p[0]!.id, role: 'contact', unitId: env },
    { personId: p[1]!.id, role: 'contact', unitId: anding },
    { personId: p[2]!.id, role: 'leader', unitId: 0 },
  ]);
  return {
    unit: { env, anding, housing },
    task: { t411, t412, t421, t511 },
    asg: { t411env: a[0]!.id, t411anding: a[1]!.id, t412anding: a[2]!.id, t421env: a[3]!.id, t511env: a[4]!.id },
  };
}

let seq = 0;
export function message(openId: string, text: string, extra: Partial<IncomingMessage> = {}): IncomingMessage {
  seq++;
  return {
    eventId: `ev_${seq}`,
    messageId: `om_in_${seq}`,
    chatId: 'oc_p2p',
    chatType: 'p2p',
    sender: { openId },
    messageType: 'text',
    text,
    mentions: [],
    createTime: 0,
    ...extra,
  };
}
