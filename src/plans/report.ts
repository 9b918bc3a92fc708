// The plan load's report: the change report as counts (audit log, logs) and as Chinese lines for the operator
// (`plan load`, `import`, dry runs included). Pure: it reads a PlanChangeReport from src/domain/plan-diff.ts.
import type { AssignmentChange, PlanChangeReport } from '../domain/plan-diff.js';

function roleZh(role: string) {
  return role === 'lead' ? '牵头' : '配合';
}

/** Counts of a report, for the audit log and logs. */
export function summarizeReport(r: PlanChangeReport): Record<string, number | string | boolean> {
  return {
    plan: r.planCode,
    planCreated: r.planCreated,
    unitsAdded: r.unitsAdded.length,
    unitsUpdated: r.unitsUpdated.length,
    tasksAdded: r.tasksAdded.length,
    tasksUpdated: r.tasksUpdated.length,
    tasksWithdrawn: r.tasksWithdrawn.length,
    tasksMissing: r.tasksMissing.length,
    tasksRestored: r.tasksRestored.length,
    deadlinesChanged: r.deadlinesChanged.length,
    assignmentsAdded: r.assignmentsAdded.length,
    assignmentsRemoved: r.assignmentsRemoved.length,
    assignmentsKept: r.assignmentsKept.length,
    assignmentsConfirmed: r.assignmentsConfirmed.length,
    assignmentsRoleChanged: r.assignmentsRoleChanged.length,
    targetsAdded: r.targetsAdded.length,
    targetsUpdated: r.targetsUpdated.length,
  };
}

const FIELD_ZH: Record<string, string> = {
  title: '标题',
  text: '任务内容',
  note: '备注',
  kind: '类型',
  aliases: '别名',
  issuer: '印发单位',
  source: '来源',
  outline: '篇章目录',
  indicator: '指标',
  comparator: '比较符',
  value: '目标值',
  unit: '单位',
  year: '年份',
  scope: '范围',
  sourceText: '原文',
  taskCode: '所属任务',
};

/** The change report as Chinese lines for the operator. Long lists are cut to `limit` items each. */
export function formatPlanReport(r: PlanChangeReport, limit = 20): string[] {
  const lines: string[] = [];
  const head = r.dryRun ? '【试运行，未写入】' : '';
  const list = (items: string[]) =>
    items.length > limit ? `${items.slice(0, limit).join('、')} 等 ${items.length} 项` : items.join('、');
  const f = (fields: string[]) => fields.map((x) => FIELD_ZH[x] ?? x).join('、');
  lines.push(`${head}计划 ${r.planCode}《${r.planTitle}》：${r.planCreated ? '新建' : '更新'}，文件共 ${r.taskCount} 项任务。`);
  if (!r.changed) {
    lines.push(r.dryRun ? '与数据库一致，导入不会改变任何数据。' : '与数据库一致，没有变化。');
  }
  if (r.planUpdated.length) lines.push(`计划信息变更：${f(r.planUpdated)}`);
  if (r.unitsAdded.length) lines.push(`新增单位 ${r.unitsAdded.length} 个：${list(r.unitsAdded)}`);
  if (r.unitsUpdated.length) lines.push(`单位信息更新 ${r.unitsUpdated.length} 个：${list(r.unitsUpdated.map((u) => `${u.unit}（${f(u.fields)}）`))}`);
  if (r.tasksAdded.length) lines.push(`新增任务 ${r.tasksAdded.length} 项：${list(r.tasksAdded)}`);
  if (r.tasksUpdated.length) lines.push(`修改任务 ${r.tasksUpdated.length} 项：${list(r.tasksUpdated.map((t) => `${t.task}（${f(t.fields)}）`))}`);
  if (r.tasksRestored.length) lines.push(`恢复此前撤销的任务 ${r.tasksRestored.length} 项：${list(r.tasksRestored)}`);
  if (r.tasksWithdrawn.length)
    lines.push(`撤销任务 ${r.tasksWithdrawn.length} 项（文件中已没有；任务和进度记录都保留，可再次导入恢复）：${list(r.tasksWithdrawn)}`);
  if (r.tasksMissing.length)
    lines.push(
      `文件中没有的任务 ${r.tasksMissing.length} 项保持不变（未撤销）。如要撤销文件中没有的任务，加 --withdraw-missing（将撤销 ${r.tasksMissing.length} 项：${list(r.tasksMissing)}）。`,
    );
  if (r.withdrawnWithProgress.length)
    lines.push(`注意：其中 ${r.withdrawnWithProgress.length} 项已有进度报送：${list(r.withdrawnWithProgress)}。如果是漏填，请补回后重新导入。`);
  if (r.deadlinesChanged.length)
    lines.push(
      `完成时限变更 ${r.deadlinesChanged.length} 项：${list(r.deadlinesChanged.map((d) => `${d.task}（${d.before.join('；') || '无'} → ${d.after.join('；') || '无'}）`))}`,
    );
  const ac = (a: AssignmentChange) => `${a.task} ${a.unit}（${roleZh(a.role)}）`;
  if (r.assignmentsAdded.length) lines.push(`新增分工 ${r.assignmentsAdded.length} 条：${list(r.assignmentsAdded.map(ac))}`);
  if (r.assignmentsRoleChanged.length)
    lines.push(`分工角色变更 ${r.assignmentsRoleChanged.length} 条：${list(r.assignmentsRoleChanged.map((a) => `${a.task} ${a.unit}（${roleZh(a.from)}→${roleZh(a.role)}）`))}`);
  if (r.assignmentsConfirmed.length) lines.push(`确认分工 ${r.assignmentsConfirmed.length} 条：${list(r.assignmentsConfirmed.map(ac))}`);
  if (r.assignmentsRemoved.length) lines.push(`删除分工 ${r.assignmentsRemoved.length} 条（均无进度报送）：${list(r.assignmentsRemoved.map(ac))}`);
  if (r.assignmentsKept.length)
    lines.push(
      `注意：文件中已去掉但已有进度报送、因此保留的分工 ${r.assignmentsKept.length} 条：${list(r.assignmentsKept.map((a) => `${ac(a)} 已报送 ${a.reports} 次`))}。如确需取消，请在机器人中办理。`,
    );
  if (r.targetsAdded.length) lines.push(`新增指标 ${r.targetsAdded.length} 个：${list(r.targetsAdded)}`);
  if (r.targetsUpdated.length) lines.push(`修改指标 ${r.targetsUpdated.length} 个：${list(r.targetsUpdated.map((t) => `${t.target}（${f(t.fields)}）`))}`);
  return lines;
}

