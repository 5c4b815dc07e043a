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
 * (--remote-debugging-pipe: NUL-separated JSON on fds 3 and 4), which needs neither a
 * WebSocket client (Node 20 has none built in) nor a downloaded browser.
 *
 * The browser: $CHROME_PATH, else the first of chromium, chromium-browser,
 * google-chrome-stable, google-chrome on PATH (Debian: `apt-get install chromium`). None
 * found: prints "skipped" and exits 0 — under CI (CI set) it fails instead. Exit 1 on any failed check, 2
 * on a harness failure (build, browser start, hard timeout); the browser is killed however
 * the run ends.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

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

function findChromium() {
  if (process.env.CHROME_PATH) return process.env.CHROME_PATH;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (dir && executable(join(dir, name))) return join(dir, name);
    }
  }
  return null;
}

function executable(p) {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

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

// ------------------------------------------------------------------ DevTools protocol over a pipe

class Cdp {
  #out;
  #next = 1;
  #pending = new Map();
  #listeners = [];
  #buffer = Buffer.alloc(0);

  constructor(out, inp) {
    this.#out = out;
    inp.on('data', (chunk) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      for (let end = this.#buffer.indexOf(0); end >= 0; end = this.#buffer.indexOf(0)) {
        const msg = JSON.parse(this.#buffer.subarray(0, end).toString('utf8'));
        this.#buffer = this.#buffer.subarray(end + 1);
        this.#dispatch(msg);
      }
    });
    inp.on('close', () => {
      for (const { reject } of this.#pending.values()) reject(new Error('the browser closed the DevTools pipe'));
      this.#pending.clear();
    });
  }

  #dispatch(msg) {
    if (msg.id !== undefined) {
      const p = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p?.resolve(msg.result);
    } else {
      for (const f of this.#listeners) f(msg.method, msg.params, msg.sessionId);
    }
  }

  send(method, params = {}, sessionId) {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, method });
      this.#out.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  onEvent(f) {
    this.#listeners.push(f);
  }
}

async function launch(binary) {
  const profile = mkdtempSync(join(tmpdir(), 'rnnkit-chromium-'));
  cleanups.push(() => rmSync(profile, { recursive: true, force: true }));
  const args = [
    '--headless',
    '--remote-debugging-pipe',
    `--user-data-dir=${profile}`,
    // The page is our own, served from localhost; root in a container has no usable sandbox.
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-extensions',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--mute-audio',
    'about:blank',
  ];
  // Its own process group, so the kill below reaches the renderers and workers too.
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const killGroup = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  cleanups.push(killGroup);
  process.on('exit', killGroup);
  const cdp = new Cdp(child.stdio[3], child.stdio[4]);
  const exited = new Promise((_, reject) =>
    child.on('exit', (code, signal) => reject(new Error(`the browser exited (${signal ?? code}) before the test ended; its stderr:\n${stderr}`))),
  );
  exited.catch(() => undefined);
  const version = await Promise.race([cdp.send('Browser.getVersion'), exited]);
  // Graceful first, so the browser ends its own renderers and lets go of the profile;
  // the group kill (pushed earlier, so run after this) catches whatever is left.
  const gone = new Promise((r) => child.on('exit', r));
  cleanups.push(() => {
    cdp.send('Browser.close').catch(() => undefined);
    return Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
  });
  return { cdp, version, exited };
}

/**
 * Open `url` in a new tab, echo its console and its workers' (auto-attached), await
 * window.__rnnkit. Returns { report (null if none came), failure (why not), problems
 * (console errors and uncaught exceptions), workers (URLs of the workers it started) }.
 */
async function runPage(cdp, url, label) {
  const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
  const sessions = new Map([[sessionId, 'page']]);
  const problems = [];
  /** URLs of the workers the page started (DevTools attaches to each as it starts). */
  const workers = [];
  const note = (where, level, text) => console.log(`  [${label} ${where}] ${level === 'log' ? '' : `${level}: `}${text}`);
  cdp.onEvent((method, params, sid) => {
    const where = sessions.get(sid);
    if (where === undefined) return;
    if (method === 'Runtime.consoleAPICalled') {
      const text = params.args.map((a) => (a.value !== undefined ? String(a.value) : (a.description ?? a.type))).join(' ');
      note(where, params.type, text);
      if (params.type === 'error' || params.type === 'assert') problems.push(`${where} console.${params.type}: ${text}`);
    } else if (method === 'Runtime.exceptionThrown') {
      const d = params.exceptionDetails;
      const text = d.exception?.description ?? d.text;
      note(where, 'uncaught', text);
      problems.push(`${where} uncaught: ${text}`);
    } else if (method === 'Log.entryAdded') {
      const e = params.entry;
      note(where, `${e.source} ${e.level}`, `${e.text}${e.url ? ` (${e.url})` : ''}`);
      if (e.level === 'error') problems.push(`${where} ${e.source} error: ${e.text}${e.url ? ` (${e.url})` : ''}`);
    } else if (method === 'Target.attachedToTarget') {
      const child = params.sessionId;
      const { type, url: workerUrl } = params.targetInfo;
      if (type === 'worker') workers.push(workerUrl);
      sessions.set(child, `${type} ${workerUrl.replace(/^.*\/dist\//, 'dist/')}`);
      void (async () => {
        await Promise.allSettled([cdp.send('Runtime.enable', {}, child), cdp.send('Log.enable', {}, child)]);
        // The worker waits for this (waitForDebuggerOnStart), so nothing it logs is missed.
        await cdp.send('Runtime.runIfWaitingForDebugger', {}, child).catch(() => undefined);
      })();
    }
  });
  await cdp.send('Runtime.enable', {}, sessionId);
  await cdp.send('Log.enable', {}, sessionId);
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true }, sessionId);
  await cdp.send('Page.navigate', { url }, sessionId);

  const deadline = Date.now() + PAGE_TIMEOUT_MS;
  let report = null;
  let failure = null;
  const expired = Symbol('expired');
  while (report === null && failure === null) {
    const left = deadline - Date.now();
    let r;
    try {
      // The evaluation awaits the page's promise, so a hung page would hold it forever.
      let timer;
      r = await Promise.race([
        cdp.send(
          'Runtime.evaluate',
          { expression: `location.href === ${JSON.stringify(url)} ? (window.__rnnkit ?? null) : null`, awaitPromise: true, returnByValue: true },
          sessionId,
        ),
        new Promise((res) => (timer = setTimeout(() => res(expired), Math.max(0, left)))),
      ]).finally(() => clearTimeout(timer));
    } catch {
      r = null; // the context was replaced by the navigation: ask again
    }
    if (r === expired) failure = `no report from ${url} within ${PAGE_TIMEOUT_MS / 1000} s`;
    else if (r?.exceptionDetails) failure = `the page failed: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`;
    else if (r?.result?.value) report = r.result.value;
    else await new Promise((res) => setTimeout(res, 100));
  }
  await cdp.send('Target.closeTarget', { targetId }).catch(() => undefined);
  return { report, failure, problems, workers };
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
  const { cdp, version, exited } = await launch(binary);
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
