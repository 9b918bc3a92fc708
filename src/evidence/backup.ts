// `npx duban backup` also copies the evidence files (EVIDENCE_DIR) beside the database copy, into
// `<备份文件>.evidence/`. Files are content-addressed and never change, so a file already in the target is skipped
// and a repeated backup into the same place only adds the new ones.
import fs from 'node:fs/promises';
import path from 'node:path';

export async function backupEvidenceDir(source: string, databaseCopy: string): Promise<{ dir: string; files: number; bytes: number; copied: number } | null> {
  const src = path.resolve(source);
  try {
    if (!(await fs.stat(src)).isDirectory()) return null;
  } catch {
    return null;
  }
  const dest = `${path.resolve(databaseCopy)}.evidence`;
  let files = 0;
  let bytes = 0;
  let copied = 0;
  async function walk(dir: string) {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      const from = path.join(dir, e.name);
      if (e.isDirectory()) {
        await walk(from);
        continue;
      }
      if (!e.isFile() || e.name.endsWith('.tmp')) continue;
      const to = path.join(dest, path.relative(src, from));
      const size = (await fs.stat(from)).size;
      files++;
      bytes += size;
      const there = await fs.stat(to).catch(() => null);
      if (there && there.size === size) continue;
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.copyFile(from, to);
      copied++;
    }
  }
  await walk(src);
  return { dir: dest, files, bytes, copied };
}
