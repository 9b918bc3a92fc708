// The list of operator commands. Adding a command is one entry here.
import { policyCommand } from './policy.js';
import { tickCommand } from './tick.js';
import type { CliCommand } from './types.js';

export const commands: CliCommand[] = [tickCommand, policyCommand];
