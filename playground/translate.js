// Translator: a Seq2Seq whose training model runs in a Web Worker (trainInWorker), translated
// here after every epoch (the worker sends each epoch's weights back into the model).
import { Seq2Seq, Rng, Tensor, trainInWorker, optimizers, losses } from './rnnkit/index.js';
import { $, chart, download, fmt, showEnv, showSummary, status, wireLoad } from './common.js';

/** Seq2Seq's documented target ids: 1 starts and ends every target. */
const EOS = 1;
/** Held-out pairs: this fraction of the data, at most HELD_OUT_MAX. */
const HELD_OUT = 0.1;
const HELD_OUT_MAX = 500;
/** Held-out pairs translated after every epoch: a few shown, more for the exact-match curve. */
const SHOWN = 6;
const CURVE = 100;

const st = $('#status');
const draw = chart($('#chart'), { xLabel: 'epoch', yLabel: 'loss / accuracy' });
const state = { s2s: null, training: null, batchX: [], batchY: [], epochX: [], epochY: [], accY: [], matchY: [], epochs: 0, heldOut: [], score: null };
window.playground = state;
/** For tests: translate texts with the current model (beam width as given). */
state.translate = (texts, beamWidth = 1) => state.s2s.translate(texts, { beamWidth });

// ------------------------------------------------------------------ the built-in dates

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const p2 = (n) => String(n).padStart(2, '0');
const ordinal = (d) => `${d}${d % 10 === 1 && d !== 11 ? 'st' : d % 10 === 2 && d !== 12 ? 'nd' : d % 10 === 3 && d !== 13 ? 'rd' : 'th'}`;
/** The written forms; each is unambiguous (slashes: month first; dots: day first; two-digit years 50–99 → 19xx, 00–49 → 20xx). */
const FORMATS = [
  (y, m, d) => `${d} ${MONTHS[m - 1]} ${y}`,
  (y, m, d) => `${MONTHS[m - 1]} ${d}, ${y}`,
  (y, m, d) => `${MONTHS[m - 1].slice(0, 3)} ${d}, ${p2(y % 100)}`,
  (y, m, d) => `${p2(d)} ${MONTHS[m - 1].slice(0, 3).toLowerCase()} ${y}`,
  (y, m, d) => `${p2(m)}/${p2(d)}/${y}`,
  (y, m, d) => `${d}.${m}.${y}`,
  (y, m, d) => `the ${ordinal(d)} of ${MONTHS[m - 1]} ${y}`,
  (y, m, d, w) => `${WEEKDAYS[w]}, ${MONTHS[m - 1]} ${d}, ${y}`,
  (y, m, d) => `${y}/${m}/${d}`,
];

/** n [written date, ISO date] pairs, days drawn uniformly from 1950–2049 (seeded: the same every time). */
function datePairs(n, seed) {
  const rng = new Rng(seed);
  const day = 864e5;
  const lo = Date.UTC(1950, 0, 1) / day;
  const hi = Date.UTC(2049, 11, 31) / day;
  const pairs = [];
  for (let i = 0; i < n; i++) {
    const t = new Date((lo + rng.int(hi - lo + 1)) * day);
    const [y, m, d] = [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
    pairs.push([FORMATS[rng.int(FORMATS.length)](y, m, d, t.getUTCDay()), `${y}-${p2(m)}-${p2(d)}`]);
  }
  return pairs;
}

/** "source<TAB>target" lines → pairs; a line that is not two non-empty fields is an error naming it. */
function tsvPairs(text) {
  const pairs = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = line.split('\t');
    if (cells.length !== 2 || cells[0].trim() === '' || cells[1].trim() === '') throw new Error(`line ${i + 1} is not source<Tab>target: ${JSON.stringify(line.slice(0, 60))}`);
    pairs.push([cells[0].trim(), cells[1].trim()]);
  });
  return pairs;
}

const own = () => $('#dataset').value === 'paste';
$('#dataset').addEventListener('change', () => {
  $('#paste-box').hidden = !own();
  $('#count-box').hidden = own();
});
$('#tsv-file').addEventListener('change', async () => {
  const f = $('#tsv-file').files[0];
  if (f) $('#paste').value = await f.text();
});
showEnv($('#env'), 'a Web Worker (trainInWorker)');

// ------------------------------------------------------------------ translating

/** Translate what the user typed with the current model and beam width. */
function tryIt() {
  const out = $('#output');
  if (state.s2s === null) return;
  const text = $('#text').value.trim();
  if (text === '') return void status(out, '');
  try {
    status(out, `→ ${state.s2s.translate(text, { beamWidth: Number($('#beam').value) })}`);
  } catch (e) {
    // A symbol the model never saw: say which (translate's message names it).
    status(out, e.message.replace(/^Seq2Seq\.translate: /, ''), true);
  }
}
$('#text').addEventListener('input', tryIt);
$('#beam').addEventListener('input', () => {
  $('#beam-out').textContent = $('#beam').value;
  tryIt();
});

/** A list item per pair: "source → output", ✓ or ✗ (with the expected answer). */
function pairItems(rows) {
  return rows.map(({ source, output, expected }) => {
    const li = document.createElement('li');
    const ok = output === expected;
    li.className = ok ? 'ok' : 'bad';
    li.title = ok ? 'right' : `wrong: expected ${expected}`;
    // Each part unbroken; a narrow screen wraps between them.
    const part = (text, cls) => Object.assign(document.createElement('span'), { textContent: text, className: cls });
    li.append(part(source, 'src'), ' → ', part(output === '' ? '∅' : output, 'out'));
    const mark = part(ok ? ' ✓' : ` ✗ ${expected}`, 'mark');
    mark.setAttribute('aria-label', ok ? 'right' : `wrong, expected ${expected}`);
    li.append(mark);
    return li;
  });
}

/**
 * Exact match over the held-out pairs, translated in chunks with a pause between them, so
 * the page keeps painting however many there are (a source listed twice counts if the
 * output is any of its targets).
 */
async function scoreHeldOut() {
  const pairs = state.heldOut;
  if (pairs.length === 0) return void status($('#score'), 'No held-out pairs (give at least 10 to hold some out).');
  const refs = new Map();
  for (const [s, t] of pairs) refs.set(s, [...(refs.get(s) ?? []), t]);
  const sources = [...refs.keys()];
  const beamWidth = Number($('#beam').value);
  const s2s = state.s2s;
  const outputs = [];
  for (let i = 0; i < sources.length; i += 50) {
    // A model loaded meanwhile replaced (and freed) this one: its score no longer matters.
    if (state.s2s !== s2s) return;
    outputs.push(...s2s.translate(sources.slice(i, i + 50), { beamWidth }));
    status($('#score'), `Translating the held-out pairs… ${outputs.length}/${sources.length}`);
    await new Promise((r) => setTimeout(r, 0));
  }
  const right = sources.filter((s, i) => refs.get(s).includes(outputs[i])).length;
  const misses = sources.map((s, i) => ({ source: s, output: outputs[i], expected: refs.get(s)[0] })).filter((r) => !refs.get(r.source).includes(r.output));
  state.score = { exactMatch: right / sources.length, right, count: sources.length, beamWidth };
  status($('#score'), `${((100 * right) / sources.length).toFixed(1)}% exact (${right} of ${sources.length} held-out ${sources.length === 1 ? 'input' : 'inputs'}, ${beamWidth === 1 ? 'greedy' : `beam ${beamWidth}`})${misses.length > 0 ? `; ${misses.length > 8 ? 'the first 8 ' : ''}wrong ones:` : '.'}`);
  $('#misses').replaceChildren(...pairItems(misses.slice(0, 8)));
}

// ------------------------------------------------------------------ training

function redraw() {
  draw([
    { name: 'batch loss', x: state.batchX, y: state.batchY, color: '#9db4ec' },
    { name: 'epoch loss', x: state.epochX, y: state.epochY, color: '#d9480f' },
    { name: 'symbol accuracy', x: state.epochX, y: state.accY, color: '#2b8a3e' },
    { name: `held-out exact match (${Math.min(CURVE, state.heldOut.length)})`, x: state.epochX, y: state.matchY, color: '#7048e8', dashed: true },
  ]);
}

function ready(s2s) {
  // The replaced model's WebAssembly memory goes back at once (many retrainings in one tab).
  if (state.s2s !== null && state.s2s !== s2s) state.s2s.dispose();
  state.s2s = s2s;
  showSummary($('#summary'), s2s.model);
  $('#download').disabled = false;
  tryIt();
}

/** Pairs (in this order) → the training model's inputs [source ids, start + target ids] and targets [target ids + end], zero-padded; as Seq2Seq.fit builds them. */
function tensors(s2s, pairs) {
  const src = pairs.map(([s]) => s2s.source.encode(s));
  const tgt = pairs.map(([, t]) => s2s.target.encode(t));
  const N = pairs.length;
  const Ts = Math.max(...src.map((s) => s.length));
  const Tt = Math.max(...tgt.map((t) => t.length)) + 1;
  const x = new Float32Array(N * Ts);
  const tIn = new Float32Array(N * Tt);
  const tOut = new Float32Array(N * Tt);
  for (let n = 0; n < N; n++) {
    x.set(src[n], n * Ts);
    tIn[n * Tt] = EOS;
    tIn.set(tgt[n], n * Tt + 1);
    tOut.set(tgt[n], n * Tt);
    tOut[n * Tt + tgt[n].length] = EOS;
  }
  return { x: [new Tensor(x, [N, Ts]), new Tensor(tIn, [N, Tt])], y: new Tensor(tOut, [N, Tt]), maxTarget: Tt - 1 };
}

const clampInt = (el, lo, hi, dflt) => Math.max(lo, Math.min(hi, Math.round(Number(el.value)) || dflt));
/** Let the page paint between the setup steps (each one's time kept on state.setupMs for the curious). */
let lastTick = 0;
const tick = (what) => {
  const now = performance.now();
  state.setupMs.push(`${what} ${(now - lastTick).toFixed(0)}`);
  return new Promise((r) => setTimeout(() => ((lastTick = performance.now()), r()), 0));
};

async function train() {
  state.setupMs = [];
  lastTick = performance.now();
  let pairs;
  if (own()) {
    pairs = tsvPairs($('#paste').value);
    if (pairs.length < 2) throw new Error('give at least two pairs, one per line: source<Tab>target');
    new Rng(7).shuffle(pairs);
  } else pairs = datePairs(clampInt($('#count'), 50, 20000, 5000), 1);
  await tick('pairs');
  // The last 10% (at most 500) are never trained on; fewer than 10 pairs: none held out.
  const held = pairs.length < 10 ? 0 : Math.min(HELD_OUT_MAX, Math.max(1, Math.round(pairs.length * HELD_OUT)));
  const trainPairs = pairs.slice(0, pairs.length - held);
  state.heldOut = pairs.slice(pairs.length - held);
  const cell = $('#cell').value;
  const bidirectional = $('#bidirectional').checked;
  // A bidirectional encoder gives each direction units/2: round up to even.
  const asked = clampInt($('#units'), 4, 512, 64);
  const units = bidirectional ? asked + (asked % 2) : asked;
  const attention = $('#attention').value;
  const epochs = clampInt($('#epochs'), 1, 200, 6);
  // Both sides' symbols from all pairs, so a held-out date may use a character no training pair has.
  const tokens = own() ? $('#tokens').value : 'char';
  const s2s = Seq2Seq.forPairs(pairs, { tokens, cell, units, bidirectional, attention, embeddingDim: Math.min(64, Math.max(8, units >> 1)), seed: 1 });
  await tick('model');
  const t = tensors(s2s, trainPairs);
  s2s.maxTargetLength = t.maxTarget;
  await tick('tensors');
  // As Seq2Seq.fit compiles, a larger step: these small tasks learn in a few epochs.
  s2s.model.compile({ optimizer: optimizers.adam({ learningRate: 0.005, globalClipnorm: 5 }), loss: losses.sparseCategoricalCrossentropy(), metrics: ['accuracy'] });
  await tick('compile');
  // Build the inference graphs (and size their buffers) now, not in the first epoch's handler.
  const curve = state.heldOut.slice(0, CURVE);
  if (curve.length > 0) s2s.translate(curve.map((p) => p[0]), { maxLength: 1 });
  await tick('inference graphs');
  ready(s2s);
  await tick('ready');
  Object.assign(state, { batchX: [], batchY: [], epochX: [], epochY: [], accY: [], matchY: [], epochs: 0, score: null, epochHandlerMs: [] });
  $('#epoch-samples').replaceChildren();
  $('#misses').replaceChildren();
  status($('#score'), 'Shown when training ends.');
  redraw();
  const batchSize = 32;
  const steps = Math.ceil(trainPairs.length / batchSize);
  const shown = state.heldOut.slice(0, SHOWN);
  const controller = new AbortController();
  state.training = controller;
  state.setupMs.push(`start ${(performance.now() - lastTick).toFixed(0)}`);
  status(st, `Training ${bidirectional ? 'bidirectional ' : ''}${cell.toUpperCase()}(${units}), ${attention === 'none' ? 'no' : attention} attention, on ${trainPairs.length} pairs (${state.heldOut.length} held out), ${steps} batches per epoch…`);
  const t0 = performance.now();
  try {
    await trainInWorker(s2s.model, t.x, t.y, {
      epochs,
      batchSize,
      seed: 11,
      signal: controller.signal,
      onBatch: ({ epoch, batch, logs }) => {
        state.batchX.push(epoch + (batch + 1) / steps);
        state.batchY.push(logs.loss);
        if (batch % 5 === 0) status(st, `Epoch ${epoch + 1}/${epochs}, batch ${batch + 1}/${steps}: loss ${fmt(logs.loss)}`);
        redraw();
      },
      onEpoch: ({ epoch, logs }) => {
        const t1 = performance.now();
        queueMicrotask(() => (state.epochHandlerMs ??= []).push(performance.now() - t1));
        // The model here holds this epoch's weights: translate a few held-out pairs with them.
        state.epochs = epoch + 1;
        state.epochX.push(epoch + 1);
        state.epochY.push(logs.loss);
        state.accY.push(logs.accuracy);
        if (curve.length > 0) {
          const outs = s2s.translate(curve.map((p) => p[0]));
          state.matchY.push(outs.filter((o, i) => o === curve[i][1]).length / curve.length);
        }
        redraw();
        const li = document.createElement('li');
        li.append(`loss ${fmt(logs.loss, 3)}, symbol accuracy ${fmt(logs.accuracy, 3)}${curve.length > 0 ? `, held-out exact match ${fmt(state.matchY.at(-1), 2)}` : ''}`);
        if (shown.length > 0) {
          const outs = s2s.translate(shown.map((p) => p[0]));
          const ul = document.createElement('ul');
          ul.className = 'pairs';
          ul.append(...pairItems(shown.map(([source, expected], i) => ({ source, output: outs[i], expected }))));
          li.append(ul);
        }
        $('#epoch-samples').append(li);
        // Keep the newest epoch in view inside the list (not by scrolling the page).
        $('#epoch-samples').scrollTop = $('#epoch-samples').scrollHeight;
        tryIt();
      },
    });
    status(st, `Done: ${epochs} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
    status(st, `Stopped during epoch ${state.epochs + 1}; the model keeps the weights of the last batch.`);
  } finally {
    state.training = null;
  }
  tryIt();
  await scoreHeldOut();
}

$('#train').addEventListener('click', async () => {
  $('#train').disabled = true;
  $('#stop').disabled = false;
  try {
    await train();
  } catch (e) {
    status(st, `Training failed: ${e.message}`, true);
  } finally {
    $('#train').disabled = false;
    $('#stop').disabled = true;
  }
});
$('#stop').addEventListener('click', () => state.training?.abort());
$('#download').addEventListener('click', async () => {
  try {
    await download(state.s2s);
    status($('#model-status'), 'Downloaded model.json and weights.bin (Seq2Seq.load or rnnkit.loadModel read them in Node).');
  } catch (e) {
    status($('#model-status'), `Could not save: ${e.message}`, true);
  }
});
wireLoad(async (source) => {
  if (state.training !== null) throw new Error('stop training first');
  const s2s = await Seq2Seq.load(source);
  // A loaded model has no held-out part here: score it by translating what you type.
  state.heldOut = [];
  state.score = null;
  status($('#score'), 'A loaded model: no held-out pairs here.');
  $('#misses').replaceChildren();
  ready(s2s);
}, $('#model-status'));
