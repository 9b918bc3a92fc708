// A process that runs one scheduler pass and is SIGKILLed by its own harness the moment the pass has committed a
// slice's claims and before it commits that slice's messages: the worst place for a crash. Used by
// test/reliability/pass-crash.test.ts. Usage: node --import tsx pass-crash-child.ts <db file> <epoch ms>
import { parseConfig } from '../../src/config.js';
import { openNodeDatabase } from '../../src/db/node.js';
import { runSchedulerPass } from '../../src/scheduler/pass.js';

const [file, at] = [process.argv[2]!, Number(process.argv[3])];
const database = openNodeDatabase(file);
const { sqlite } = database;
// Harness, not product code: note when a statement writing a slice's journal row runs, and kill the process right
// after the transaction that ran it has committed.
let journalWritten = false;
const prepare = sqlite.prepare.bind(sqlite);
sqlite.prepare = ((source: string) => {
  if (/insert into scheduler_slices/i.test(source)) journalWritten = true;
  return prepare(source);
}) as typeof sqlite.prepare;
const transaction = sqlite.transaction.bind(sqlite);
sqlite.transaction = ((fn: (...args: unknown[]) => unknown) => {
  const run = transaction(fn);
  return (...args: unknown[]) => {
    const out = run(...args);
    if (journalWritten) process.kill(process.pid, 'SIGKILL');
    return out;
  };
}) as typeof sqlite.transaction;

await runSchedulerPass({ db: database.db, config: parseConfig({}) }, at);
console.log('PASS_FINISHED');
