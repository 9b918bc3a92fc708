// STUB on the `commands` branch only: the office polling views (逾期, 临期, 统计, 周报) are built on the
// `digest` branch; on merge that file replaces this one.
import type { CommandDef } from './registry.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const officeViewCommands: CommandDef<any>[] = [];
