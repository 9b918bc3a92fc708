// A minimal text rendering of a JSON 2.0 card for the terminal sandbox (titles, markdown, buttons, form fields).
// The Lark edge may provide a fuller renderer; this one only needs to make cards readable in `duban chat`.
type Node = Record<string, unknown>;

const textOf = (t: unknown): string => (t && typeof t === 'object' ? String((t as Node).content ?? '') : '');

export function renderCardPlain(card: Record<string, unknown>): string {
  const lines: string[] = [];
  const header = card.header as Node | undefined;
  if (header) {
    lines.push(`【${textOf(header.title)}】` + (header.subtitle ? ` ${textOf(header.subtitle)}` : ''));
  }
  const buttons: string[] = [];
  const walk = (els: unknown) => {
    if (!Array.isArray(els)) return;
    for (const e of els as Node[]) {
      switch (e.tag) {
        case 'markdown':
        case 'div':
          lines.push(String(e.content ?? textOf(e.text)).replace(/\*\*/g, ''));
          break;
        case 'button':
          buttons.push(`[${textOf(e.text)}]`);
          break;
        case 'input':
          lines.push(`  ${textOf(e.label) || String(e.name)}：____（${String(e.name)}=…）`);
          break;
        case 'hr':
          lines.push('──────');
          break;
        default:
          walk(e.elements);
          if (Array.isArray(e.columns)) for (const c of e.columns as Node[]) walk(c.elements);
      }
    }
  };
  walk((card.body as Node | undefined)?.elements ?? card.elements);
  if (buttons.length) lines.push(buttons.join(' '));
  return lines.join('\n');
}

/** Callback buttons on a card: their text and value, in order. */
export function cardButtons(card: unknown): Array<{ text: string; value: Record<string, unknown>; submit: boolean }> {
  const out: Array<{ text: string; value: Record<string, unknown>; submit: boolean }> = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const e = n as Node;
    if (e.tag === 'button') {
      const cb = (e.behaviors as Node[] | undefined)?.find((b) => b.type === 'callback');
      if (cb) out.push({ text: textOf(e.text), value: cb.value as Record<string, unknown>, submit: e.form_action_type === 'submit' });
    }
    for (const v of Object.values(e)) if (typeof v === 'object') walk(v);
  };
  walk(card);
  return out;
}
