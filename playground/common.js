// Shared by the playground pages: header, charts (the package's own SVG lineChart), the
// environment panel, the model panel (summary, download, load).
import { getBackend, lineChart } from './rnnkit/index.js';

export const $ = (sel) => document.querySelector(sel);
/** How long each chart redraw took (ms), for the tests. */
export const chartMs = [];
globalThis.__chartMs = chartMs;

/** Status line: text, or an error in red (also kept on window.playground.errors for tests). */
export function status(el, text, isError = false) {
  el.textContent = text;
  el.classList.toggle('error', isError);
}

/** Redraw an SVG chart at most once per animation frame. */
export function chart(el, options) {
  let pending = null;
  let last = null;
  let resizeTimer = 0;
  addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => last !== null && draw(last), 100);
  });
  const draw = (series) => {
    last = series;
    const first = pending === null;
    pending = series;
    if (!first) return;
    requestAnimationFrame(() => {
      const s = pending.filter((x) => x.x.length > 0);
      pending = null;
      // Drawn at the element's own width (300–760 px), so the labels stay readable on a phone.
      const width = Math.max(300, Math.min(760, Math.round(el.clientWidth || 720)));
      const t = performance.now();
      el.innerHTML = s.length === 0 ? '' : lineChart(s, { width, height: Math.round(width * (width < 500 ? 0.62 : 0.42)), ...options, ...draw.options });
      chartMs.push(performance.now() - t);
    });
  };
  return draw;
}

/** Backend, threads and isolation, as a definition list. */
export function showEnv(el, training) {
  const iso = globalThis.crossOriginIsolated === true;
  el.innerHTML = '';
  const rows = [
    ['backend', getBackend() === 'wasm' ? 'wasm (WebAssembly SIMD)' : 'ts (plain TypeScript)'],
    ['training', training],
    ['cores', String(navigator.hardwareConcurrency ?? '?')],
    ['isolated', iso ? 'yes (SharedArrayBuffer available)' : 'no (no shared memory: fit workers off)'],
  ];
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    el.append(dt, dd);
  }
}

export function showSummary(el, model) {
  el.textContent = model.summary(() => undefined);
}

/** Save through a handler and offer model.json and its weights file as two downloads. */
export async function download(saveable) {
  let artifacts = null;
  await saveable.save((a) => {
    artifacts = a;
  });
  const bin = artifacts.modelJson.weightsManifest[0].paths[0];
  const files = [
    ['model.json', new Blob([JSON.stringify(artifacts.modelJson)], { type: 'application/json' })],
    [bin, new Blob([artifacts.weightData], { type: 'application/octet-stream' })],
  ];
  for (const [name, blob] of files) {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    await new Promise((r) => setTimeout(r, 150));
  }
  return artifacts;
}

/** model.json and its .bin files picked together → what load() takes in memory. */
export async function pickedArtifacts(files) {
  const list = [...files];
  const json = list.find((f) => f.name.endsWith('.json'));
  if (json === undefined) throw new Error('pick model.json and its weights file (.bin) together');
  const modelJson = JSON.parse(await json.text());
  const paths = modelJson.weightsManifest?.flatMap((g) => g.paths) ?? [];
  const shards = [];
  for (const p of paths) {
    const f = list.find((x) => x.name === p.split('/').at(-1)) ?? (paths.length === 1 ? list.find((x) => x.name.endsWith('.bin')) : undefined);
    if (f === undefined) throw new Error(`the weights file '${p}' was not picked`);
    shards.push(await f.arrayBuffer());
  }
  return { modelJson, weightData: shards.length === 1 ? shards[0] : shards };
}

/** Wire the load controls (file picker and URL) of a page to `load(source)`. */
export function wireLoad(load, statusEl) {
  const files = $('#load-files');
  const url = $('#load-url');
  files.addEventListener('change', async () => {
    if (files.files.length === 0) return;
    try {
      await load(await pickedArtifacts(files.files));
      status(statusEl, `Loaded ${[...files.files].map((f) => f.name).join(' + ')}`);
    } catch (e) {
      status(statusEl, `Could not load: ${e.message}`, true);
    }
    files.value = '';
  });
  $('#load-url-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const u = new URL(url.value, location.href).href;
      await load(u);
      status(statusEl, `Loaded ${u}`);
    } catch (e) {
      status(statusEl, `Could not load: ${e.message}`, true);
    }
  });
}

export const fmt = (v, d = 4) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : 'n/a');
