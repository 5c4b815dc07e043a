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
const DYNAMIC_ONLY = ['io/node.ts', 'models/trainingCallbacks.ts', 'models/workers/threads.ts'];

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
