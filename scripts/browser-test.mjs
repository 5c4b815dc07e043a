#!/usr/bin/env node
/**
 * `npm run test:browser`: the built package (dist/) in a real headless Chromium — the ES
 * module build imported without a bundler, the WebAssembly backend, and fit's Web Worker
 * path (`workers: 2`) — on a cross-origin isolated page and on one that is not.
 *
 * Builds first (`--no-build` skips that and uses dist/ as it is), serves dist/ and
 * test/browser/ over node:http under three prefixes — /iso/ with COOP/COEP (the page gets
 * SharedArrayBuffer), /plain/ without, /iso-bare-worker/ with them except on the worker's
 * scripts — and loads test/browser/index.html in its own tab for each page of PAGES (the
 * fourth imports the package from http://localhost:PORT while the page is on 127.0.0.1,
 * another origin, as from a CDN). The page (test/browser/page.js) trains and reports;
 * the checks are all here.
 *
 * No browser library: Chromium is driven over the DevTools protocol on a pipe
 * (scripts/cdp.mjs, shared with playground-test.mjs).
 *
 * The browser: $CHROME_PATH, else the first of chromium, chromium-browser,
 * google-chrome-stable, google-chrome on PATH (Debian: `apt-get install chromium`). None
 * found: prints "skipped" and exits 0 — under CI (CI set) it fails instead. Exit 1 on any failed check, 2
 * on a harness failure (build, browser start, hard timeout); the browser is killed however
 * the run ends.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { executable, findChromium, launch, openTab } from './cdp.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The whole run, build included. */
const HARD_TIMEOUT_MS = 120_000;
/** One page's report (its five trainings; page.js gives each fit 10 s, they take < 1 s). */
const PAGE_TIMEOUT_MS = 60_000;
/** workers: 2 against workers: 1 (and 'auto' against 1): the same sums in another order. */
const WORKERS_REL_TOL = 1e-5;
/** Final weights, workers 2 against 1 (as test/workers.test.ts: rounding grows with each update). */
const WEIGHTS_ABS_TOL = 1e-4;
/** The TypeScript kernels against the WebAssembly ones (another summation order and exp). */
const BACKEND_REL_TOL = 1e-4;
/** The unshared-memory wasm fallback against the resident one (as test/wasmKernels.test.ts). */
const FALLBACK_REL_TOL = 1e-5;

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};
/** Only these are served: the package build and the test page. */
const SERVED = ['/dist/', '/test/browser/'];

const cleanups = [];
let finished = false;

async function finish(code, message) {
  if (finished) return;
  finished = true;
  if (message) (code === 0 ? console.log : console.error)(message);
  for (const f of cleanups.reverse()) {
    try {
      await f();
    } catch {
      // best effort: the next cleanup (the browser kill above all) must still run
    }
  }
  process.exit(code);
}

const hardTimer = setTimeout(() => void finish(2, `browser test: FAILED — no result within the hard limit of ${HARD_TIMEOUT_MS / 1000} s`), HARD_TIMEOUT_MS);
cleanups.push(() => clearTimeout(hardTimer));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void finish(130, `browser test: interrupted (${sig})`));

/** Run a command to completion (async, so the hard timeout can still fire and kill it). */
function runCommand(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: 'inherit' });
    cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

// ------------------------------------------------------------------ static server

function startServer() {
  const misses = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = /^\/(iso|plain|iso-bare-worker)(\/.*)$/.exec(url.pathname);
    let rel = null;
    try {
      rel = m === null ? null : normalize(decodeURIComponent(m[2])).replaceAll(sep, '/');
    } catch {
      // a malformed %-escape: not found
    }
    // Any origin may import the files, as from a CDN (the cross-origin page needs it).
    const headers = { 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*' };
    const bareWorker = m?.[1] === 'iso-bare-worker' && rel?.startsWith('/dist/models/workers/');
    if ((m?.[1] === 'iso' || m?.[1] === 'iso-bare-worker') && !bareWorker) {
      // A document with both is cross-origin isolated. The scripts carry COEP too: a worker
      // started from an isolated page must itself be served with it, or Chromium refuses to
      // start it (the iso-bare-worker page checks that fit then fails with a clear error).
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    let body = null;
    if (rel !== null && SERVED.some((p) => rel.startsWith(p))) {
      try {
        body = readFileSync(join(ROOT, rel));
      } catch {
        body = null;
      }
    }
    if (body === null) {
      misses.push(url.pathname);
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    headers['Content-Type'] = MIME[extname(rel)] ?? 'application/octet-stream';
    res.writeHead(200, headers).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, misses })));
}

/**
 * Open `url` in a new tab, echo its console and its workers' (auto-attached), await
 * window.__rnnkit. Returns { report (null if none came), failure (why not), problems
 * (console errors and uncaught exceptions), workers (URLs of the workers it started) }.
 */
async function runPage(cdp, url, label) {
  const note = (where, level, text) => console.log(`  [${label} ${where}] ${level === 'log' ? '' : `${level}: `}${text}`);
  const tab = await openTab(cdp, url, { label, log: note });
  const deadline = Date.now() + PAGE_TIMEOUT_MS;
  let report = null;
  let failure = null;
  while (report === null && failure === null) {
    try {
      // The evaluation awaits the page's promise, so a hung page would hold it forever: bounded.
      const r = await tab.evaluate(`location.href === ${JSON.stringify(url)} ? (window.__rnnkit ?? null) : null`, { timeoutMs: Math.max(0, deadline - Date.now()) });
      if (r) report = r;
      else await new Promise((res) => setTimeout(res, 100));
    } catch (e) {
      if (e.timedOut) failure = `no report from ${url} within ${PAGE_TIMEOUT_MS / 1000} s`;
      else if (e.exceptionDetails) failure = `the page failed: ${e.exceptionDetails.exception?.description ?? e.exceptionDetails.text}`;
      // else the context was replaced by the navigation: ask again
    }
  }
  await tab.close();
  return { report, failure, problems: tab.problems, workers: tab.workers };
}

// ------------------------------------------------------------------ checks

function relDiff(a, b) {
  let worst = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (typeof x !== 'number' || typeof y !== 'number' || !Number.isFinite(x) || !Number.isFinite(y)) return Infinity;
    worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1e-30));
  }
  return worst;
}

function absDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return Number.isNaN(worst) ? Infinity : worst;
}

class Checks {
  results = [];
  check(ok, what, detail = '') {
    this.results.push({ ok, line: `${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` — ${detail}` : ''}` });
  }
  /** A run that trained (not an error), else a failure naming it. */
  trained(page, runs, name) {
    const r = runs[name];
    const ok = r !== undefined && r.error === undefined && Array.isArray(r.loss) && r.loss.length === 2 && r.loss.every(Number.isFinite);
    this.check(ok, `${page}: ${name} trains 2 epochs`, ok ? `losses ${r.loss.map((l) => l.toFixed(6)).join(', ')}, ${r.ms.toFixed(0)} ms` : (r?.error ?? 'no result'));
    return ok ? r : null;
  }
  close(page, what, a, b, tol, withWeights = false) {
    if (a === null || b === null) return this.check(false, `${page}: ${what}`, 'a run it needs failed');
    const d = relDiff(a.loss, b.loss);
    let detail = `max relative loss difference ${d.toExponential(2)} (tolerance ${tol})`;
    let ok = d <= tol;
    if (withWeights) {
      const w = absDiff(a.weights, b.weights);
      detail += `, max weight difference ${w.toExponential(2)} (tolerance ${WEIGHTS_ABS_TOL})`;
      ok &&= w <= WEIGHTS_ABS_TOL;
    }
    if (!ok) detail += `; losses [${a.loss}] vs [${b.loss}]`;
    this.check(ok, `${page}: ${what}`, detail);
  }
}

/** The runs the cross-origin isolated page must get right: threads, backends, agreement. */
function checkThreads(c, page, { env, runs }, workers, workerUrl) {
  c.check(env.crossOriginIsolated === true, `${page}: crossOriginIsolated is true`, `${env.crossOriginIsolated}`);
  c.check(env.sharedArrayBuffer === true, `${page}: SharedArrayBuffer exists`);
  c.check(env.initialBackend === 'wasm', `${page}: getBackend() is 'wasm' by default`, `got '${env.initialBackend}'`);
  const w1 = c.trained(page, runs, 'wasm-w1');
  const w2 = c.trained(page, runs, 'wasm-w2');
  const auto = c.trained(page, runs, 'wasm-auto');
  const t1 = c.trained(page, runs, 'ts-w1');
  const t2 = c.trained(page, runs, 'ts-w2');
  // One worker per workers: 2 fit ('auto' keeps this small model on one thread).
  c.check(workers.length === 2 && workers.every(workerUrl), `${page}: each workers: 2 fit ran on a Web Worker`, `${workers.length} started: ${workers.join(', ') || 'none'}`);
  c.check(w1?.backend === 'wasm' && t1?.backend === 'ts', `${page}: useBackend switched the kernels`, `${w1?.backend} / ${t1?.backend}`);
  c.close(page, 'wasm workers: 2 matches workers: 1', w1, w2, WORKERS_REL_TOL, true);
  c.close(page, "wasm workers: 'auto' matches workers: 1", w1, auto, WORKERS_REL_TOL);
  c.close(page, "useBackend('ts') matches wasm", w1, t1, BACKEND_REL_TOL);
  c.close(page, 'ts workers: 2 matches workers: 1', t1, t2, WORKERS_REL_TOL, true);
  return w1;
}

/** The one-thread runs every page must train, against the isolated page's. */
function checkOneThread(c, page, runs, isolatedW1) {
  const w1 = c.trained(page, runs, 'wasm-w1');
  const auto = c.trained(page, runs, 'wasm-auto');
  const t1 = c.trained(page, runs, 'ts-w1');
  c.close(page, 'wasm matches the isolated page', isolatedW1, w1, FALLBACK_REL_TOL);
  c.close(page, "useBackend('ts') matches wasm", w1, t1, BACKEND_REL_TOL);
  c.close(page, "workers: 'auto' falls back to one thread", w1, auto, WORKERS_REL_TOL);
}

/** Each workers: 2 fit rejected, with a message matching `pattern`. */
function checkRefused(c, page, runs, pattern, what) {
  for (const name of ['wasm-w2', 'ts-w2']) {
    const err = runs[name]?.error;
    c.check(typeof err === 'string' && pattern.test(err), `${page}: ${name.replace('-w2', '')} workers: 2 ${what}`, err ?? 'it did not throw');
  }
}

const PAGES = [
  {
    label: 'isolated',
    prefix: 'iso',
    check: (c, page, r, workers) => checkThreads(c, page, r, workers, (u) => u.endsWith('/iso/dist/models/workers/entry.js')),
  },
  {
    label: 'not isolated',
    prefix: 'plain',
    check: (c, page, { env, runs }, workers, isolatedW1) => {
      c.check(env.crossOriginIsolated === false, `${page}: crossOriginIsolated is false`, `${env.crossOriginIsolated}`);
      c.check(env.sharedArrayBuffer === false, `${page}: SharedArrayBuffer is absent`);
      c.check(env.initialBackend === 'wasm', `${page}: getBackend() is still 'wasm' (unshared-memory fallback)`, `got '${env.initialBackend}'`);
      checkOneThread(c, page, runs, isolatedW1);
      checkRefused(c, page, runs, /SharedArrayBuffer.*cross-origin isolated/, 'is refused with a clear error');
      c.check(workers.length === 0, `${page}: no Web Worker started`, `${workers.length}`);
    },
  },
  {
    // As an application importing the package from a CDN: workers start only from the page's own origin.
    label: 'isolated, package from another origin',
    prefix: 'iso',
    lib: (port) => `http://localhost:${port}/iso/dist/index.js`,
    check: (c, page, r, workers) => checkThreads(c, page, r, workers, (u) => u.startsWith('blob:')),
  },
  {
    // A server that sends COEP with the pages but not with every script: a clear error, not a hang.
    label: 'isolated, worker script without COEP',
    prefix: 'iso-bare-worker',
    check: (c, page, { env, runs }, workers, isolatedW1) => {
      c.check(env.crossOriginIsolated === true, `${page}: crossOriginIsolated is true`, `${env.crossOriginIsolated}`);
      checkOneThread(c, page, runs, isolatedW1);
      checkRefused(c, page, runs, /could not start a Web Worker from \S+entry\.js.*Cross-Origin-Embedder-Policy/, 'fails with a clear error');
    },
  },
];

// ------------------------------------------------------------------ main

async function main() {
  // A CHROME_PATH that names nothing is a mistake to report, not a machine without a browser.
  if (process.env.CHROME_PATH && !executable(process.env.CHROME_PATH)) return finish(2, `browser test: FAILED — CHROME_PATH=${process.env.CHROME_PATH} is not an executable file`);
  const binary = findChromium();
  if (binary === null) {
    // CI installs Debian's chromium (.ci/run): there a missing browser is a failure, not a skip.
    if (process.env.CI) return finish(2, 'browser test: FAILED — no chromium found and CI is set (apt-get install chromium, or set CHROME_PATH)');
    return finish(0, 'browser test: skipped: no chromium found (none of chromium, chromium-browser, google-chrome-stable, google-chrome on PATH; set CHROME_PATH to use another)');
  }
  console.log(`browser test: using ${binary}`);
  if (process.argv.includes('--no-build')) {
    if (!existsSync(join(ROOT, 'dist', 'index.js'))) {
      return finish(2, 'browser test: --no-build needs dist/ (run npm run build)');
    }
  } else {
    await runCommand(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build']);
  }

  const { server, port, misses } = await startServer();
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  const { cdp, version, exited, close } = await launch(binary);
  cleanups.push(close);
  console.log(`browser test: ${version.product}, serving ${ROOT} on http://127.0.0.1:${port}/`);

  const c = new Checks();
  let isolatedW1 = null;
  for (const { label, prefix, lib, check } of PAGES) {
    const query = lib === undefined ? '' : `?lib=${encodeURIComponent(lib(port))}`;
    const url = `http://127.0.0.1:${port}/${prefix}/test/browser/index.html${query}`;
    console.log(`\n${label}: ${url}`);
    const { report, failure, problems, workers } = await Promise.race([runPage(cdp, url, label), exited]);
    if (failure !== null) c.check(false, `${label}: the page reports`, failure);
    c.check(problems.length === 0, `${label}: no errors in the console (page and workers)`, problems.join('\n      '));
    if (report === null) continue;
    const w1 = check(c, label, report, workers, isolatedW1);
    if (prefix === 'iso' && lib === undefined) isolatedW1 = w1;
  }
  if (misses.length > 0) c.check(false, 'every requested file was served', `404: ${[...new Set(misses)].join(', ')}`);

  console.log('');
  for (const r of c.results) console.log(r.line);
  const failed = c.results.filter((r) => !r.ok).length;
  return failed === 0
    ? finish(0, `\nbrowser test: all ${c.results.length} checks passed`)
    : finish(1, `\nbrowser test: FAILED — ${failed} of ${c.results.length} checks failed`);
}

main().catch((e) => finish(2, `browser test: FAILED — ${e instanceof Error ? e.message : e}`));
