// The README's chat-command table lives between two markers and is generated from the registry.
import { commandTableMarkdown } from './index.js';

export const TABLE_START = '<!-- chat-commands:start (generated: npm run docs:commands) -->';
export const TABLE_END = '<!-- chat-commands:end -->';

export function replaceCommandTable(readme: string, table = commandTableMarkdown()): string {
  const a = readme.indexOf(TABLE_START);
  const b = readme.indexOf(TABLE_END);
  if (a < 0 || b < a) throw new Error('README.md has no chat-commands markers');
  return readme.slice(0, a + TABLE_START.length) + '\n' + table + '\n' + readme.slice(b);
}
