// Render a card (JSON 2.0, or the older 1.0 shape) as readable plain text for the offline console and logs.

import { decodeMdEntities } from '../domain/text-escape.js';

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => !!v && typeof v === 'object' && !Array.isArray(v);

function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (isNode(v) && typeof v.content === 'string') return v.content;
  return '';
}

function renderElement(el: unknown, out: string[], indent: string): void {
  if (!isNode(el)) return;
  const tag = typeof el.tag === 'string' ? el.tag : '';
  switch (tag) {
    case 'markdown':
    case 'lark_md':
      // User text in markdown is entity-escaped (src/domain/text-escape.ts); show the characters it stands for.
      if (textOf(el)) out.push(indent + decodeMdEntities(textOf(el)));
      return;
    case 'plain_text':
      if (textOf(el)) out.push(indent + textOf(el));
      return;
    case 'div': {
      const t = textOf(el.text);
      if (t) out.push(indent + t);
      if (Array.isArray(el.fields)) for (const f of el.fields) if (isNode(f) && textOf(f.text)) out.push(indent + textOf(f.text));
      return;
    }
    case 'hr':
      out.push(indent + '────────');
      return;
    case 'button':
      out.push(`${indent}[按钮：${textOf(el.text) || '（无文字）'}]`);
      return;
    case 'input': {
      const label = textOf(el.label) || textOf(el.placeholder) || String(el.name ?? '');
      out.push(`${indent}[输入框：${label}]`);
      return;
    }
    case 'select_static':
    case 'select_person':
    case 'date_picker':
    case 'picker_date':
      out.push(`${indent}[选择：${textOf(el.placeholder) || String(el.name ?? tag)}]`);
      return;
    case 'chart':
      out.push(`${indent}[图表]`);
      return;
    case 'img':
    case 'image':
      out.push(`${indent}[图片${textOf(el.alt) ? '：' + textOf(el.alt) : ''}]`);
      return;
    case 'note':
    case 'action':
    case 'form':
    case 'column':
    case 'collapsible_panel': {
      const header = isNode(el.header) ? textOf(el.header.title) : '';
      if (header) out.push(indent + header);
      const kids = (el.elements ?? el.actions) as unknown;
      if (Array.isArray(kids)) for (const k of kids) renderElement(k, out, indent);
      return;
    }
    case 'column_set':
      if (Array.isArray(el.columns)) for (const c of el.columns) renderElement({ ...(c as Node), tag: 'column' }, out, indent);
      return;
    default: {
      const t = textOf(el.text) || textOf(el);
      if (t) out.push(indent + t);
      if (Array.isArray(el.elements)) for (const k of el.elements) renderElement(k, out, indent);
    }
  }
}

/** Pure: card JSON → lines of text a person can read in a terminal. */
export function renderCardText(card: Record<string, unknown>): string {
  const out: string[] = [];
  const header = isNode(card.header) ? card.header : undefined;
  const title = header ? textOf(header.title) : '';
  if (title) out.push(`【${title}】`);
  const body = isNode(card.body) ? card.body.elements : card.elements;
  if (Array.isArray(body)) for (const el of body) renderElement(el, out, '');
  return out.join('\n');
}

/** Pure: outbox content (JSON string) → readable text, whatever the msg_type. */
export function renderContentText(msgType: string, content: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return content;
  }
  if (!isNode(parsed)) return content;
  if (msgType === 'text') return typeof parsed.text === 'string' ? parsed.text : content;
  if (msgType === 'interactive') return renderCardText(parsed);
  if (msgType === 'post') {
    const post = (Array.isArray(parsed.content) ? parsed : Object.values(parsed).find(isNode)) as Node | undefined;
    if (!post || !Array.isArray(post.content)) return content;
    const lines = (post.content as unknown[]).map((p) =>
      Array.isArray(p) ? p.map((e) => (isNode(e) ? String(e.text ?? e.user_name ?? '') : '')).join('') : '',
    );
    return [typeof post.title === 'string' ? post.title : '', ...lines].filter(Boolean).join('\n');
  }
  return content;
}
