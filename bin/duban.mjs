#!/usr/bin/env node
// `npx duban …`: runs the TypeScript CLI through tsx (Node 20 cannot strip types itself).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli.ts');
process.exitCode = await runCli(process.argv.slice(2));
