// src/cli/: the office's operator commands (`npx duban …`: import, export, plan, people, tick, digest, chat, …), a
// composition root like node.ts and worker.ts: each command opens the database, builds what it needs from the
// stores and ports, and prints Chinese. This file: the list of operator commands. Adding a command is one entry here.
import { backupCommand } from './backup.js';
import { calendarCommand } from './calendar.js';
import { chatCommand } from './chat.js';
import { digestCommand } from './digest.js';
import { evidenceCommand } from './evidence.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { peopleCommand } from './people.js';
import { planCommand } from './plan.js';
import { policyCommand } from './policy.js';
import { tickCommand } from './tick.js';
import { outboxCommand } from './outbox.js';
import type { CliCommand } from './types.js';

export const commands: CliCommand[] = [
  importCommand,
  exportCommand,
  planCommand,
  tickCommand,
  policyCommand,
  digestCommand,
  peopleCommand,
  chatCommand,
  backupCommand,
  calendarCommand,
  outboxCommand,
  evidenceCommand,
];
