/**
 * A small Chromium driver for the browser tests (browser-test.mjs, playground-test.mjs):
 * find the system Chromium, launch it headless with the DevTools protocol on a pipe, and
 * open tabs that evaluate expressions, collect console errors and take screenshots.
 *
 * No browser library: --remote-debugging-pipe speaks NUL-separated JSON on fds 3 and 4,
 * which needs neither a WebSocket client (Node 20 has none built in) nor a downloaded
 * browser (Debian: `apt-get install chromium`).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export function executable(p) {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** $CHROME_PATH, else the first of chromium, chromium-browser, google-chrome-stable, google-chrome on PATH; null if none. */
export function findChromium() {
  if (process.env.CHROME_PATH) return process.env.CHROME_PATH;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (dir && executable(join(dir, name))) return join(dir, name);
    }
  }
  return null;
}

/** The DevTools protocol over the pipe: send(method, params, sessionId) → result; onEvent(f). */
export class Cdp {
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

  /** f(method, params, sessionId) for every event (the caller filters by session). */
  onEvent(f) {
    this.#listeners.push(f);
  }
}

/**
 * Start `binary` headless with a fresh profile. Resolves { cdp, version, exited, close }:
 * `exited` rejects if the browser dies (race it against waits), `close()` ends the browser
 * (gracefully, then its whole process group) and removes the profile. The group is also
 * killed when this process exits, however the run ends.
 */
export async function launch(binary, { profilePrefix = 'rnnkit-chromium-' } = {}) {
  const profile = mkdtempSync(join(tmpdir(), profilePrefix));
  const args = [
    '--headless',
    '--remote-debugging-pipe',
    `--user-data-dir=${profile}`,
    // The pages are our own, served from localhost; root in a container has no usable sandbox.
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
    // Screenshots as a reader's browser shows the page, without a scrollbar's width taken.
    '--hide-scrollbars',
    'about:blank',
  ];
  // Its own process group, so the kill reaches the renderers and workers too.
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
  // However the run ends (a hard timeout while the browser starts included): no browser, no profile left.
  process.on('exit', () => {
    killGroup();
    rmSync(profile, { recursive: true, force: true });
  });
  const cdp = new Cdp(child.stdio[3], child.stdio[4]);
  const exited = new Promise((_, reject) =>
    child.on('exit', (code, signal) => reject(new Error(`the browser exited (${signal ?? code}) before the test ended; its stderr:\n${stderr}`))),
  );
  exited.catch(() => undefined);
  const gone = new Promise((r) => child.on('exit', r));
  const close = async () => {
    // Graceful first, so the browser ends its own renderers and lets go of the profile;
    // the group kill catches whatever is left.
    cdp.send('Browser.close').catch(() => undefined);
    await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
    killGroup();
    rmSync(profile, { recursive: true, force: true });
  };
  let version;
  try {
    version = await Promise.race([cdp.send('Browser.getVersion'), exited]);
  } catch (e) {
    await close();
    throw e;
  }
  return { cdp, version, exited, close };
}

/**
 * Open `url` in a new tab of `cdp`'s browser. Workers the page starts are attached (and
 * held until their console is on, so nothing they log is missed). Options: label (for
 * messages), log(where, level, text) to echo every console line, width/height of the
 * viewport, initScript (run before the page's own scripts).
 *
 * Returns { sessionId, targetId, problems (console errors, uncaught exceptions, failed
 * loads), workers (URLs of the workers started), evaluate, screenshot, close }.
 */
export async function openTab(cdp, url, { label = 'page', log = null, width = 1200, height = 900, initScript = null } = {}) {
  const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
  const sessions = new Map([[sessionId, 'page']]);
  const problems = [];
  const workers = [];
  cdp.onEvent((method, params, sid) => {
    const where = sessions.get(sid);
    if (where === undefined) return;
    if (method === 'Runtime.consoleAPICalled') {
      const text = params.args.map((a) => (a.value !== undefined ? String(a.value) : (a.description ?? a.type))).join(' ');
      log?.(where, params.type, text);
      if (params.type === 'error' || params.type === 'assert') problems.push(`${label} ${where} console.${params.type}: ${text}`);
    } else if (method === 'Runtime.exceptionThrown') {
      const d = params.exceptionDetails;
      const text = d.exception?.description ?? d.text;
      log?.(where, 'uncaught', text);
      problems.push(`${label} ${where} uncaught: ${text}`);
    } else if (method === 'Log.entryAdded') {
      const e = params.entry;
      const text = `${e.text}${e.url ? ` (${e.url})` : ''}`;
      log?.(where, `${e.source} ${e.level}`, text);
      if (e.level === 'error') problems.push(`${label} ${where} ${e.source} error: ${text}`);
    } else if (method === 'Target.attachedToTarget') {
      const child = params.sessionId;
      const { type, url: childUrl } = params.targetInfo;
      if (type === 'worker') workers.push(childUrl);
      sessions.set(child, `${type} ${childUrl.replace(/^.*\/dist\//, 'dist/')}`);
      void (async () => {
        await Promise.allSettled([cdp.send('Runtime.enable', {}, child), cdp.send('Log.enable', {}, child)]);
        // The worker waits for this (waitForDebuggerOnStart), so nothing it logs is missed.
        await cdp.send('Runtime.runIfWaitingForDebugger', {}, child).catch(() => undefined);
      })();
    }
  });
  await cdp.send('Runtime.enable', {}, sessionId);
  await cdp.send('Log.enable', {}, sessionId);
  await cdp.send('Page.enable', {}, sessionId);
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true }, sessionId);
  await cdp.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
  if (initScript !== null) await cdp.send('Page.addScriptToEvaluateOnNewDocument', { source: initScript }, sessionId);
  await cdp.send('Page.navigate', { url }, sessionId);

  /**
   * The value of `expression` (promises awaited). Throws an Error with `exceptionDetails`
   * if the page threw, with `timedOut` if no answer came within timeoutMs (a hung
   * promise would otherwise hold the call forever), or the protocol's error (e.g. the
   * context was replaced by a navigation).
   */
  const evaluate = async (expression, { timeoutMs = Infinity } = {}) => {
    let timer;
    const expired = Symbol('expired');
    const r = await Promise.race([
      cdp.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId),
      ...(Number.isFinite(timeoutMs) ? [new Promise((res) => (timer = setTimeout(() => res(expired), Math.max(0, timeoutMs))))] : []),
    ]).finally(() => clearTimeout(timer));
    if (r === expired) throw Object.assign(new Error(`${label}: no answer within ${timeoutMs / 1000} s to ${expression.slice(0, 80)}…`), { timedOut: true });
    if (r.exceptionDetails) {
      const d = r.exceptionDetails;
      throw Object.assign(new Error(`${label}: ${expression.slice(0, 80)}…: ${d.exception?.description ?? d.text}`), { exceptionDetails: d });
    }
    return r.result.value;
  };

  /** The whole page at `width` (capped at maxHeight) to `file` (.jpg: JPEG, else PNG); the viewport is restored after. */
  const screenshot = async (file, { width: w = width, maxHeight = Infinity } = {}) => {
    await cdp.send('Emulation.setDeviceMetricsOverride', { width: w, height, deviceScaleFactor: 1, mobile: w < 600 }, sessionId);
    // Let the page's resize handlers redraw (the charts wait 100 ms, then a frame).
    await new Promise((r) => setTimeout(r, 250));
    const h = Math.min(maxHeight, await evaluate('Math.ceil(document.documentElement.scrollHeight)'));
    const jpeg = file.endsWith('.jpg');
    const { data } = await cdp.send('Page.captureScreenshot', { format: jpeg ? 'jpeg' : 'png', ...(jpeg ? { quality: 80 } : {}), captureBeyondViewport: true, clip: { x: 0, y: 0, width: w, height: h, scale: 1 } }, sessionId);
    writeFileSync(file, Buffer.from(data, 'base64'));
    await cdp.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
  };

  const close = () => cdp.send('Target.closeTarget', { targetId }).catch(() => undefined);
  return { sessionId, targetId, problems, workers, evaluate, screenshot, close };
}
