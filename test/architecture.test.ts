// The direction of dependencies inside src/, read from the source's own import statements (static, type-only,
// re-exports and dynamic import()). A folder of src/ is one node; a file at src/'s top level (app.ts, deps.ts,
// ports.ts, …) is a node of its own. The rules are the structure the README's Layout section describes:
//   - src/domain/ imports nothing outside src/domain/ (npm packages are fine);
//   - src/cards/ never imports src/db/, and imports nothing but src/domain/ (pure builders: input in, card JSON out);
//   - src/board/ imports neither src/commands/ nor src/evidence/; src/evidence/ does not import src/commands/;
//   - src/ports.ts (the port interfaces) imports only src/domain/;
//   - src/db/ imports only src/domain/, ports, logger and config; table access (src/db/schema.ts) stays in src/db/
//     stores and the composition roots (app, node, worker, cli);
//   - src/lark/ and src/commands/ do not import each other (one inbound entry point between them);
//   - no import cycle between nodes.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../src');

interface ImportEdge {
  from: string; // file, relative to src/
  to: string; // file, relative to src/ (extension stripped)
  spec: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative module specifiers a file depends on. Comments are blanked first so an example in a comment is no edge. */
export function importSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const specs: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, // import x from '…', export { x } from '…'
    /\bimport\s*['"]([^'"]+)['"]/g, // import '…' (side effect)
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, // import('…'), also in type positions
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) specs.push(m[1]!);
  return specs.filter((s) => s.startsWith('.'));
}

function edgesOf(files: string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const f of files) {
    for (const spec of importSpecifiers(readFileSync(f, 'utf8'))) {
      const target = resolve(dirname(f), spec).replace(/\.(js|jsx|ts|tsx)$/, '');
      edges.push({ from: relative(SRC, f).split(sep).join('/'), to: relative(SRC, target).split(sep).join('/'), spec });
    }
  }
  return edges;
}

/** The node a file belongs to: its top folder under src/, or the file itself at src/'s top level. */
export function nodeOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 1 ? `${parts[0]}/` : parts[0]!.replace(/\.(js|jsx|ts|tsx)$/, '');
}

/** Strongly connected components with more than one node (Tarjan): each is an import cycle between nodes. */
export function cyclesOf(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const edges = edgesOf(sourceFiles(SRC));
const crossing = edges.filter((e) => nodeOf(e.from) !== nodeOf(e.to));
const show = (list: ImportEdge[]) => list.map((e) => `${e.from} imports ${e.spec}`);

describe('the import structure of src/', () => {
  it('reads the imports it checks (the reader is not blind)', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(importSpecifiers("import type { A } from './a.js';\nexport * from '../b.js';\nconst m = await import('../c.js');\n// import x from '../d.js'"))
      .toEqual(['./a.js', '../b.js', '../c.js']);
    expect(nodeOf('lark/routes.ts')).toBe('lark/');
    expect(nodeOf('deps.ts')).toBe('deps');
    expect(cyclesOf(new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]]))).toEqual([['a', 'b', 'c']]);
  });

  it('src/domain/ imports nothing outside src/domain/', () => {
    expect(show(crossing.filter((e) => nodeOf(e.from) === 'domain/'))).toEqual([]);
  });

  it('src/cards/ does not import src/db/', () => {
    expect(show(crossing.filter((e) => nodeOf(e.from) === 'cards/' && nodeOf(e.to) === 'db/'))).toEqual([]);
  });

  it('src/cards/ imports only src/domain/ (cards take plain views, never rows or commands)', () => {
    expect(show(crossing.filter((e) => nodeOf(e.from) === 'cards/' && nodeOf(e.to) !== 'domain/'))).toEqual([]);
  });

  it('src/board/ imports neither src/commands/ nor src/evidence/ (看板 is a command; evidence uses the board)', () => {
    expect(show(crossing.filter((e) => nodeOf(e.from) === 'board/' && ['commands/', 'evidence/'].includes(nodeOf(e.to))))).toEqual([]);
  });

  it('src/evidence/ does not import src/commands/ (the command side of evidence lives in commands/)', () => {
    expect(show(crossing.filter((e) => nodeOf(e.from) === 'evidence/' && nodeOf(e.to) === 'commands/'))).toEqual([]);
  });

  it('src/ports.ts (the port interfaces) imports only src/domain/', () => {
    expect(show(crossing.filter((e) => nodeOf(e.from) === 'ports' && nodeOf(e.to) !== 'domain/'))).toEqual([]);
  });

  it('src/db/ imports only src/domain/, the port interfaces, logger and config', () => {
    expect(show(crossing.filter((e) => nodeOf(e.from) === 'db/' && !['domain/', 'ports', 'logger', 'config'].includes(nodeOf(e.to))))).toEqual([]);
  });

  it('table access (src/db/schema.ts) stays in src/db/ stores and the composition roots', () => {
    const roots = new Set(['app', 'node', 'worker', 'cli', 'cli/']);
    expect(show(edges.filter((e) => e.to === 'db/schema' && nodeOf(e.from) !== 'db/' && !roots.has(nodeOf(e.from))))).toEqual([]);
  });

  it('src/lark/ and src/commands/ do not import each other', () => {
    const between = crossing.filter(
      (e) =>
        (nodeOf(e.from) === 'lark/' && nodeOf(e.to) === 'commands/') ||
        (nodeOf(e.from) === 'commands/' && nodeOf(e.to) === 'lark/'),
    );
    expect(show(between)).toEqual([]);
  });

  it('has no import cycle between folders (or top-level files)', () => {
    const graph = new Map<string, Set<string>>();
    for (const e of crossing) {
      const a = nodeOf(e.from);
      const b = nodeOf(e.to);
      if (!graph.has(a)) graph.set(a, new Set());
      graph.get(a)!.add(b);
    }
    const described = cyclesOf(graph).map((comp) => {
      const inside = new Set(comp);
      const why = crossing.filter((e) => inside.has(nodeOf(e.from)) && inside.has(nodeOf(e.to)));
      return { cycle: comp.join(' ⇄ '), imports: show(why) };
    });
    expect(described).toEqual([]);
  });
});
