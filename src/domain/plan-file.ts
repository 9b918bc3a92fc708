// The plan as data: the format of bundled plan files (src/plans/*.json) and of JSON imports.
import { z } from 'zod';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期应为 YYYY-MM-DD');

export const deadlineSpec = z
  .object({
    kind: z.enum(['date', 'month_end', 'year_end', 'target_year', 'recurring', 'ongoing']),
    /** Calendar date (Asia/Shanghai) for date / month_end / year_end / target_year; first occurrence for recurring. */
    dueDate: isoDate.optional(),
    recurrence: z.enum(['annual', 'semiannual', 'quarterly', 'monthly']).optional(),
    /** The deadline as worded in the plan: "2022年6月底前", "到2025年", "每年", "长期坚持". */
    label: z.string().min(1),
    /** What is due then, when a task has several deadlines. */
    what: z.string().optional(),
  })
  .superRefine((d, ctx) => {
    if (['date', 'month_end', 'year_end', 'target_year'].includes(d.kind) && !d.dueDate)
      ctx.addIssue({ code: 'custom', message: `期限类型 ${d.kind} 需要 dueDate` });
    if (d.kind === 'recurring' && !d.recurrence)
      ctx.addIssue({ code: 'custom', message: '周期性期限需要 recurrence' });
  });
export type DeadlineSpec = z.infer<typeof deadlineSpec>;

export const assignmentSpec = z.object({
  /** Unit name or alias as listed in the plan file's units. */
  unit: z.string().min(1),
  role: z.enum(['lead', 'co']),
  /** Our reading of the plan, to be confirmed by the office's import. */
  proposed: z.boolean().default(false),
});

export const targetSpec = z.object({
  /** Stable code, e.g. "T-PM25-2025". */
  code: z.string().min(1),
  /** Task the target belongs to, if any. */
  taskCode: z.string().optional(),
  indicator: z.string().min(1),
  aliases: z.array(z.string()).default([]),
  comparator: z.enum(['<=', '>=', '<', '>', '=']),
  value: z.number(),
  unit: z.string().optional(),
  year: z.number().int(),
  scope: z.string().optional(),
  sourceText: z.string().optional(),
});
export type TargetSpec = z.infer<typeof targetSpec>;

export const taskSpec = z.object({
  code: z.string().regex(/^\d+\.\d+\.\d+$/, '任务编号应为 章.节.序号，例如 4.1.2'),
  title: z.string().min(1),
  /** The plan's own sentence(s) for this task. */
  text: z.string().min(1),
  deadlines: z.array(deadlineSpec).default([]),
  assignments: z.array(assignmentSpec).default([]),
  note: z.string().optional(),
});
export type TaskSpec = z.infer<typeof taskSpec>;

export const unitSpec = z.object({
  name: z.string().min(1),
  kind: z.enum(['department', 'county', 'office', 'other']),
  aliases: z.array(z.string()).default([]),
});
export type UnitSpec = z.infer<typeof unitSpec>;

export const planFile = z.object({
  code: z.string().min(1),
  title: z.string().min(1),
  issuer: z.string().optional(),
  source: z.string().optional(),
  chapters: z.array(
    z.object({
      number: z.number().int(),
      title: z.string(),
      /** Short name for charts: 蓝天 / 碧水 / 净土 / 生态 / 减污降碳 / 基础 … */
      short: z.string().optional(),
      sections: z.array(z.object({ number: z.number().int(), title: z.string() })),
    }),
  ),
  units: z.array(unitSpec),
  tasks: z.array(taskSpec),
  targets: z.array(targetSpec).default([]),
});
export type PlanFile = z.infer<typeof planFile>;
