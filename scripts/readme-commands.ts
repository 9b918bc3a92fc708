// Rewrites the README's chat-command table from the registry: `npm run docs:commands`.
import fs from 'node:fs';
import { replaceCommandTable } from '../src/commands/readme.js';

const file = new URL('../README.md', import.meta.url);
fs.writeFileSync(file, replaceCommandTable(fs.readFileSync(file, 'utf8')));
console.log('README.md: 命令表已更新 / command table updated');
