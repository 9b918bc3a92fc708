// The 台账's evidence (佐证材料): pure, from the rows evidenceForExport reads. Links are
// `${PUBLIC_BASE_URL}/evidence/<id>`: they open after signing in to the board (`看板` or Feishu login), and the
// server checks the reader's roles and units on every open (src/evidence/routes.ts).
import type { Sheet } from './ledger-sheets.js';

export interface EvidenceExportRow {
  id: number;
  assignmentId: number | null;
  name: string;
  size: number;
  createdAt: number;
  by: string | null;
  taskCode: string;
  taskTitle: string;
  unitName: string;
}

export const evidenceUrl = (baseUrl: string, id: number) => (baseUrl ? `${baseUrl}/evidence/${id}` : `/evidence/${id}`);

/** Per assignment: how many files, their names and links (for a 佐证材料 column on one row per assignment). */
export function evidenceByAssignment(rows: EvidenceExportRow[], baseUrl: string): Map<number, { count: number; names: string[]; links: string[] }> {
  const out = new Map<number, { count: number; names: string[]; links: string[] }>();
  for (const r of rows) {
    if (r.assignmentId == null) continue;
    const e = out.get(r.assignmentId) ?? { count: 0, names: [], links: [] };
    e.count++;
    e.names.push(r.name);
    e.links.push(evidenceUrl(baseUrl, r.id));
    out.set(r.assignmentId, e);
  }
  return out;
}

/** One cell's text for that column: "2 个：a.jpg https://…/evidence/1；b.pdf https://…/evidence/2". */
export function evidenceCell(e: { count: number; names: string[]; links: string[] } | undefined): string {
  if (!e || e.count === 0) return '';
  return `${e.count} 个：${e.names.map((n, i) => `${n} ${e.links[i]}`).join('；')}`;
}

const instant = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');

/** The 佐证材料 sheet: one row per file, by task and unit. */
export function evidenceSheet(rows: EvidenceExportRow[], baseUrl: string): Sheet {
  return {
    name: '佐证材料',
    headers: ['任务编号', '任务', '责任单位', '文件名', '大小(KB)', '提交人', '提交时间', '链接'],
    rows: rows.map((r) => [r.taskCode, r.taskTitle, r.unitName, r.name, Math.max(1, Math.round(r.size / 1024)), r.by ?? '', instant(r.createdAt), evidenceUrl(baseUrl, r.id)]),
  };
}
