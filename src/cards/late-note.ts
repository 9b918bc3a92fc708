// A reminder that reaches its reader long after it was due says so, and says when it was meant to arrive.
// Pure: the wire content (text JSON or card JSON) in, the same content with one line added out.
import { shanghaiDate, shanghaiMinutes } from '../domain/dates.js';

/** A reminder delivered more than this after it was due carries the note. */
export const LATE_NOTE_AFTER_MS = 3600_000;

export function lateNoteText(dueAt: number, feishuOutage: boolean): string {
  const d = shanghaiDate(dueAt);
  const m = shanghaiMinutes(dueAt);
  const hhmm = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `（因${feishuOutage ? '飞书服务中断' : '服务中断'}，本提醒延迟送达，原定 ${Number(d.slice(5, 7))} 月 ${Number(d.slice(8, 10))} 日 ${hhmm}）`;
}

/** Add `note` on top of a text message or a card (JSON 2.0 body, or a 1.0 card's elements); other types unchanged. */
export function withLateNote(msgType: string, content: string, note: string): string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(content) as Record<string, unknown>;
  } catch {
    return content;
  }
  if (msgType === 'text' && typeof parsed.text === 'string') return JSON.stringify({ ...parsed, text: `${note}\n${parsed.text}` });
  if (msgType !== 'interactive') return content;
  const el = { tag: 'markdown', content: `<font color='grey'>${note}</font>` };
  const body = parsed.body as Record<string, unknown> | undefined;
  if (body && Array.isArray(body.elements)) return JSON.stringify({ ...parsed, body: { ...body, elements: [el, ...body.elements] } });
  if (Array.isArray(parsed.elements)) return JSON.stringify({ ...parsed, elements: [{ tag: 'markdown', content: note }, ...parsed.elements] });
  return content;
}
