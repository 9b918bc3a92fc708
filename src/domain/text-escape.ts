// The one place where text from users or imported tables is made safe before it enters a Feishu message (pure: the
// card builders in src/cards/ and the outbox rows of src/db/ both use it, so it lives in the domain).
//
// Card `markdown` elements render `<at id=all></at>` (pings everyone), `<at user_id="…">`, `<font>`, `[text](url)`
// (a link whose target is hidden), `**bold**`, headings, lists, code… Text messages (msg_type text) render `<at>`,
// `**bold**`, `<i>`/`<u>`/`<s>`, `~~…~~` and `[text](url)` as well. Names, notes, reasons, task text and unit names
// come from people and spreadsheets: they must show as the characters they are, never as markup.

/**
 * Characters with a meaning in Feishu card markdown, as the HTML entities Feishu's markdown documents for them.
 * Parentheses need no escape once the brackets are escaped (no link can form); list markers only matter at the start
 * of a line and are handled there, so ordinary text ("PM2.5", "2022-06-30", "(牵头)") keeps its bytes.
 */
const MD_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '*': '&#42;',
  _: '&#95;',
  '~': '&#126;',
  '`': '&#96;',
  '[': '&#91;',
  ']': '&#93;',
  '#': '&#35;',
  '|': '&#124;',
  '\\': '&#92;',
};
const MD_SPECIAL = /[&<>*_~`[\]#|\\]/g;

/** Pure: user/imported text -> card markdown that shows exactly this text (no mention, tag, link or style). */
export function mdText(s: string | null | undefined): string {
  if (!s) return '';
  return s
    .replace(MD_SPECIAL, (c) => MD_ENTITIES[c]!)
    .replace(/^([ \t]*)([-+])(?=\s)/gm, (_all, sp: string, m: string) => `${sp}&#${m.charCodeAt(0)};`)
    .replace(/^([ \t]*\d+)\.(?=\s)/gm, '$1&#46;');
}

const ENTITY = /&(amp|lt|gt|#(\d{1,6}));/g;

/** Pure: the inverse of mdText, for showing card markdown as terminal text (console, CLI, logs). */
export function decodeMdEntities(s: string): string {
  return s.replace(ENTITY, (all, name: string, num?: string) => {
    if (num) return String.fromCodePoint(Number(num));
    return name === 'amp' ? '&' : name === 'lt' ? '<' : name === 'gt' ? '>' : all;
  });
}

const ZWSP = '\u200b';

/**
 * Pure: a whole text message (msg_type text) made inert. The bot's own replies use no markup in text messages, so
 * every `<tag`, `**`, `~~` and `](` is broken with a zero-width space: it reads the same and renders as text.
 */
export function inertTextMessage(s: string): string {
  return s
    .replace(/<(?=\/?[A-Za-z])/g, `<${ZWSP}`)
    .replace(/\*\*/g, `*${ZWSP}*`)
    .replace(/~~/g, `~${ZWSP}~`)
    .replace(/\]\(/g, `]${ZWSP}(`);
}
