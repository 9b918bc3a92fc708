// The sandbox's view of card buttons and form fields, so `:press <按钮>` can act like a tap in Feishu.
type Node = Record<string, unknown>;

const textOf = (t: unknown): string => (t && typeof t === 'object' ? String((t as Node).content ?? '') : '');

function walk(n: unknown, visit: (e: Node) => void): void {
  if (Array.isArray(n)) return n.forEach((x) => walk(x, visit));
  if (!n || typeof n !== 'object') return;
  visit(n as Node);
  for (const v of Object.values(n as Node)) if (typeof v === 'object') walk(v, visit);
}

/** Callback buttons on a card: their text and value, in order. */
export function cardButtons(card: unknown): Array<{ text: string; value: Record<string, unknown>; submit: boolean }> {
  const out: Array<{ text: string; value: Record<string, unknown>; submit: boolean }> = [];
  walk(card, (e) => {
    if (e.tag !== 'button') return;
    const cb = (e.behaviors as Node[] | undefined)?.find((b) => b.type === 'callback');
    if (cb) out.push({ text: textOf(e.text), value: cb.value as Record<string, unknown>, submit: e.form_action_type === 'submit' });
  });
  return out;
}

/** "填写并提交：:press 提交 percent=… note=…" for a card with a form; '' otherwise. */
export function formHint(card: unknown): string {
  const inputs: string[] = [];
  walk(card, (e) => {
    if (e.tag === 'input' && typeof e.name === 'string') inputs.push(`${e.name}=…`);
  });
  const submit = cardButtons(card).find((b) => b.submit);
  return inputs.length && submit ? `（沙盒中填写并提交：:press ${submit.text} ${inputs.join(' ')}）` : '';
}
