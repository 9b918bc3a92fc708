// Plain-text rendering of the digest card for the CLI and logs: markdown kept readable, charts as small tables.
// (A general card-to-text renderer belongs to the Feishu edge; this one only knows the digest's elements.)

import { decodeMdEntities } from '../domain/text-escape.js';

type Element = Record<string, unknown>;

export function renderDigestText(card: Record<string, unknown>): string {
  const header = card.header as { title?: { content?: string }; subtitle?: { content?: string } } | undefined;
  const out: string[] = [];
  if (header?.title?.content) out.push(header.title.content);
  if (header?.subtitle?.content) out.push(header.subtitle.content);
  out.push('');
  const elements = ((card.body as { elements?: Element[] })?.elements ?? []) as Element[];
  for (const e of elements) {
    if (e.tag === 'markdown') out.push(stripMarkdown(String(e.content ?? '')), '');
    else if (e.tag === 'hr') out.push('────────', '');
    else if (e.tag === 'chart') out.push(chartText(e.chart_spec as Record<string, unknown>), '');
  }
  return out.join('\n').trimEnd();
}

function stripMarkdown(s: string): string {
  return decodeMdEntities(s.replace(/\*\*(.+?)\*\*/g, '$1').replace(/<font[^>]*>(.*?)<\/font>/g, '$1'));
}

/** One line per x value: "蓝天：已销号 12.5 · 待核验 3". */
function chartText(spec: Record<string, unknown>): string {
  const title = (spec.title as { text?: string } | undefined)?.text ?? '图表';
  const values = ((spec.data as { values?: Record<string, unknown>[] })?.values ?? []) as Record<string, unknown>[];
  const x = String(spec.xField);
  const y = String(spec.yField);
  const series = spec.seriesField ? String(spec.seriesField) : null;
  const rows = new Map<string, string[]>();
  for (const v of values) {
    const key = String(v[x]);
    const list = rows.get(key) ?? [];
    list.push(series ? `${String(v[series])} ${String(v[y])}` : String(v[y]));
    rows.set(key, list);
  }
  return [`【${title}】`, ...[...rows].map(([k, list]) => `  ${k}：${list.join(' · ')}`)].join('\n');
}
