// Commands on tasks and assignments, in help order: 我的任务, 任务, 下一页 (task-views.ts), 进度, 完成, 无变化
// (report-commands.ts), 延期, 撤回, 批准, 驳回 (extension-commands.ts), 退回, 销号, 待办 (review-commands.ts), 指标
// (metric-commands.ts). What the inbound handlers and the CLI share with the commands is re-exported here.
import { approveExt, extend, rejectExt, withdrawRequest } from './extension-commands.js';
import { metricCommand } from './metric-commands.js';
import type { CommandDef } from './registry.js';
import { done, progress, same } from './report-commands.js';
import { closeCmd, pendingCmd, returnCmd } from './review-commands.js';
import { mine, nextPage, task } from './task-views.js';

export { requestExtension } from './extension-commands.js';
export { unitFromRest } from './report-commands.js';
export { assignmentCard } from './task-views.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const taskCommands: CommandDef<any>[] = [mine, task, nextPage, progress, done, same, extend, withdrawRequest, approveExt, rejectExt, returnCmd, closeCmd, pendingCmd, metricCommand];
