/**
 * The library runs in browsers from the same build: nothing outside the CLI and the
 * Node file handler may import a `node:` module statically, reference Node's types,
 * or use require.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src', import.meta.url));
/** Node-only places: the CLI, and the file handler, which loads node: modules with dynamic import(). */
const NODE_ONLY = ['cli/'];
const DYNAMIC_ONLY = ['io/node.ts', 'models/trainingCallbacks.ts', 'models/workers/threads.ts', 'models/workers/persistent.ts', 'models/workers/poolWorker.ts', 'models/trainInWorker.ts', 'models/trainWorkerEntry.ts'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('browser-safe core', () => {
  it('no static node: imports, Node type references or require outside the CLI', () => {
    const offenders: string[] = [];
    for (const f of files(SRC)) {
      const rel = relative(SRC, f).replaceAll('\\', '/');
      if (NODE_ONLY.some((p) => rel.startsWith(p))) continue;
      const text = readFileSync(f, 'utf8');
      if (/^\s*import\s[^;]*from\s+['"]node:/m.test(text)) offenders.push(`${rel}: static node: import`);
      if (/\/\/\/\s*<reference types="node"/.test(text)) offenders.push(`${rel}: references Node's types`);
      if (/\brequire\(/.test(text)) offenders.push(`${rel}: require()`);
      if (!DYNAMIC_ONLY.includes(rel) && /import\(['"]node:/.test(text)) offenders.push(`${rel}: dynamic node: import outside the file handlers`);
    }
    assert.deepEqual(offenders, []);
  });
});

describe('module structure', () => {
  it('no import circles among the runtime (non-type) imports of src/', () => {
    const graph = new Map<string, string[]>();
    for (const f of files(SRC)) {
      const text = readFileSync(f, 'utf8');
      const deps: string[] = [];
      for (const m of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?from\s+'(\.[^']+)'/gm)) {
        if (m[2] !== undefined) continue; // a type-only import leaves no edge at run time
        deps.push(join(f, '..', m[3]!.replace(/\.js$/, '.ts')));
      }
      graph.set(f, deps);
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'open');
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        if (!graph.has(d)) continue;
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map((p) => relative(SRC, p)).join(' → '));
        else if (state.get(d) === undefined) visit(d);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of graph.keys()) if (state.get(f) === undefined) visit(f);
    assert.deepEqual(cycles, []);
  });
});
