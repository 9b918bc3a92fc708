// The list of operator commands. Adding a command is one entry here.
import { digestCommand } from './digest.js';
import type { CliCommand } from './types.js';

export const commands: CliCommand[] = [digestCommand];
