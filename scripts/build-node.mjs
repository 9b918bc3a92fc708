// Build the Node service into one ES module, `dist/node/service.mjs`, that plain `node` runs (`npm start` builds it
// first). Running the TypeScript through tsx costs the service ~100 MB of resident memory for good
// (bench/service-memory.ts): tsx's loader thread, its transform cache and source maps. The bundle leaves the packages in node_modules (native
// better-sqlite3, the Lark SDK, …) to be loaded as they are, except chinese-days, whose ES module imports JSON
// files in a way only a bundler accepts on Node 20.
//
// The bundle sits two directories below the repository root, like src/db/node.ts, so the paths the code takes
// from import.meta.url (the migrations folder) resolve the same way from both.
//
//   node scripts/build-node.mjs                 # the service
//   import { buildNode } from './build-node.mjs' # any other entry (the scheduler bench's child)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SERVICE_BUNDLE = path.join(ROOT, 'dist/node/service.mjs');
const BUNDLED_PACKAGES = new Set(['chinese-days']);

/** Bundle `entry` (a path from the repository root) into `outfile`, which must sit two levels below the root. */
export async function buildNode(entry = 'src/node.ts', outfile = SERVICE_BUNDLE) {
  const depth = path.relative(ROOT, path.dirname(outfile)).split(path.sep).length;
  if (depth !== 2) throw new Error(`buildNode: ${outfile} must be two directories below ${ROOT}`);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((d) => !BUNDLED_PACKAGES.has(d));
  await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external,
    sourcemap: 'linked',
    logLevel: 'warning',
    // Bundled CommonJS code (if any) finds `require` as it would in its own module.
    banner: { js: "import { createRequire as __dubanCreateRequire } from 'node:module'; const require = __dubanCreateRequire(import.meta.url);" },
  });
  return outfile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = await buildNode(process.argv[2], process.argv[3] && path.resolve(process.argv[3]));
  console.log(`built ${path.relative(ROOT, out)}`);
}
