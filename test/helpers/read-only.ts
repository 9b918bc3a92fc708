// Make a file or directory unwritable for the rest of a test, as root too: chmod does not stop root, the
// immutable attribute (chattr +i, needs CAP_LINUX_IMMUTABLE) does. Returns undefined when neither works here.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface ReadOnlyHandle {
  method: 'chmod' | 'chattr';
  restore(): void;
}

function writable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function makeReadOnly(p: string): ReadOnlyHandle | undefined {
  const isDir = fs.statSync(p).isDirectory();
  const mode = fs.statSync(p).mode & 0o777;
  if (process.getuid?.() !== 0) {
    fs.chmodSync(p, isDir ? 0o555 : 0o444);
    if (!writable(p)) return { method: 'chmod', restore: () => fs.chmodSync(p, mode) };
    fs.chmodSync(p, mode);
    return undefined;
  }
  try {
    execFileSync('chattr', ['+i', p], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  if (writable(p)) {
    execFileSync('chattr', ['-i', p], { stdio: 'ignore' });
    return undefined;
  }
  return { method: 'chattr', restore: () => execFileSync('chattr', ['-i', p], { stdio: 'ignore' }) };
}

/** Probe once: can this machine make a path read-only for the current user? */
export function canMakeReadOnly(dir: string): boolean {
  const probe = `${dir}/.ro-probe`;
  fs.writeFileSync(probe, '');
  const h = makeReadOnly(probe);
  h?.restore();
  fs.rmSync(probe, { force: true });
  return h !== undefined;
}
