// `npx duban evidence export [--task 编号] [--unit 单位] <目录>`: the evidence files for the paper archive (归档),
// in folders by task and unit: <目录>/<编号> <任务名>/<单位>/<日期>-<文件名>, plus 清单.csv listing every file
// (task, unit, name, sender, time, size, sha256, where it was written).
import fs from 'node:fs/promises';
import path from 'node:path';
import { formatDateZh, shanghaiDate } from '../domain/dates.js';
import { findUnit, findTask } from '../commands/lookup.js';
import { createFsBlobStore } from '../evidence/blob-fs.js';
import { evidenceForExport } from '../db/evidence-store.js';
import { CliUsageError, parseArgs, type CliCommand } from './types.js';

/** A file or folder name safe on Windows, macOS and Linux. */
export function safeName(s: string, max = 60): string {
  const cleaned = s.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').replace(/\s+/g, ' ').trim().replace(/^\.+/, '_');
  return [...cleaned].slice(0, max).join('') || '_';
}

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\r\n]/.test(s) || /^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""').replace(/^([=+\-@])/, "'$1")}"` : s;
};

export const evidenceCommand: CliCommand = {
  name: 'evidence',
  usage: 'evidence export [--task 编号] [--unit 单位] <目录>',
  summary: '导出佐证材料文件到目录（按任务、单位分文件夹，附清单.csv），用于归档',
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub !== 'export') throw new CliUsageError('用法：evidence export [--task 编号] [--unit 单位] <目录>');
    const { positionals, options } = parseArgs(rest, { task: 'string', unit: 'string' });
    if (positionals.length !== 1) throw new CliUsageError('请给出一个导出目录，例如 evidence export ./归档/佐证材料');
    const db = ctx.database().db;
    let taskCode: string | undefined;
    let unitId: number | undefined;
    if (typeof options.task === 'string') {
      const t = await findTask(db, options.task);
      if (!t.ok) {
        ctx.err(t.error);
        return 1;
      }
      taskCode = t.value.code;
    }
    if (typeof options.unit === 'string') {
      const u = await findUnit(db, options.unit);
      if (!u.ok) {
        ctx.err(u.error);
        return 1;
      }
      unitId = u.value.id;
    }
    const rows = await evidenceForExport(db, { ...(taskCode ? { taskCode } : {}), ...(unitId ? { unitId } : {}) });
    if (rows.length === 0) {
      ctx.out('没有符合条件的佐证材料。');
      return 0;
    }
    const out = path.resolve(positionals[0]!);
    const store = createFsBlobStore(ctx.config.EVIDENCE_DIR);
    await fs.mkdir(out, { recursive: true });
    const used = new Set<string>();
    const manifest: Array<Array<string | number>> = [['任务编号', '任务', '责任单位', '文件名', '提交人', '提交时间', '大小(字节)', 'sha256', '导出位置']];
    let written = 0;
    const missing: string[] = [];
    for (const r of rows) {
      const folder = path.join(out, safeName(`${r.taskCode} ${r.taskTitle}`), safeName(r.unitName));
      const day = shanghaiDate(r.createdAt).replace(/-/g, '');
      let name = safeName(`${day}-${r.name}`, 100);
      const ext = path.extname(name);
      for (let i = 2; used.has(path.join(folder, name)); i++) name = `${path.basename(name, ext).replace(/\(\d+\)$/, '')}(${i})${ext}`;
      const file = path.join(folder, name);
      used.add(file);
      const blob = await store.get(r.sha256);
      if (!blob) {
        missing.push(`${r.taskCode} ${r.unitName} ${r.name}`);
        continue;
      }
      await fs.mkdir(folder, { recursive: true });
      await fs.writeFile(file, blob.bytes);
      written++;
      manifest.push([r.taskCode, r.taskTitle, r.unitName, r.name, r.by ?? r.byOpenId, `${formatDateZh(shanghaiDate(r.createdAt))}`, r.size, r.sha256, path.relative(out, file)]);
    }
    // UTF-8 with BOM so Excel opens the Chinese correctly.
    await fs.writeFile(path.join(out, '清单.csv'), '\ufeff' + manifest.map((l) => l.map(csvCell).join(',')).join('\r\n') + '\r\n');
    ctx.out(`已导出 ${written} 个佐证文件到 ${out}（按任务、单位分文件夹），清单见 清单.csv。`);
    if (missing.length) {
      ctx.err(`有 ${missing.length} 个文件在存储目录 EVIDENCE_DIR（${ctx.config.EVIDENCE_DIR}）中找不到，未导出：`);
      for (const m of missing.slice(0, 20)) ctx.err(`  ${m}`);
      return 1;
    }
    return 0;
  },
};
