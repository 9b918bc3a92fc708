// The list of operator commands. Adding a command is one entry here.
import { backupCommand } from './backup.js';
import type { CliCommand } from './types.js';

export const commands: CliCommand[] = [backupCommand];
