// The list of operator commands. Adding a command is one entry here.
import { chatCommand } from './chat.js';
import { peopleCommand } from './people.js';
import type { CliCommand } from './types.js';

export const commands: CliCommand[] = [peopleCommand, chatCommand];
