// Name generator: TextGenerator's network trained by trainInWorker (a Web Worker), sampled here.
import { TextGenerator, Vocabulary, lineDataset, optimizers, losses, trainInWorker, Rng, Tensor } from './rnnkit/index.js';
import { $, chart, download, fmt, showEnv, showSummary, status, wireLoad } from './common.js';

const st = $('#status');
const draw = chart($('#chart'), { xLabel: 'epoch', yLabel: 'loss' });
const state = { gen: null, training: null, batchX: [], batchY: [], epochX: [], epochY: [], epochs: 0, samples: [], sampleSeed: 1 };
window.playground = state;
/** For tests and the curious: the current model's outputs on rows of character ids. */
state.probe = (rows) => Array.from(state.gen.model.predict(new Tensor(Float32Array.from(rows.flat()), [rows.length, rows[0].length])).data);

$('#corpus').addEventListener('change', () => ($('#paste-row').hidden = $('#corpus').value !== 'paste'));
showEnv($('#env'), 'a Web Worker (trainInWorker)');

async function corpus() {
  if ($('#corpus').value === 'paste') return $('#paste').value.split(/\r?\n/).map((l) => l.trim().toLowerCase()).filter((l) => l.length > 0);
  const text = await (await fetch('data/names.txt')).text();
  return text.split('\n').filter((l) => l.length > 0);
}

/** A generator over the model as it is now (fresh sampling state after each weight update). */
function generator(model, base) {
  const g = new TextGenerator({ vocab: base.vocab, cell: base.cell, units: base.units, layers: base.numLayers, embeddingDim: base.embeddingDim }, model);
  g.mode = base.mode;
  g.maxLength = base.maxLength;
  return g;
}

function sample() {
  const out = $('#samples');
  if (state.gen === null) return;
  const temperature = Number($('#temperature').value);
  const prefix = $('#prefix').value.toLowerCase();
  try {
    const names = state.gen.sampleMany(12, { temperature, prefix, seed: state.sampleSeed });
    state.samples = names;
    out.replaceChildren(...names.map((n) => Object.assign(document.createElement('li'), { textContent: n })));
  } catch (e) {
    out.replaceChildren(Object.assign(document.createElement('li'), { textContent: e.message }));
  }
}
$('#temp-out').textContent = $('#temperature').value;
$('#temperature').addEventListener('input', () => {
  $('#temp-out').textContent = Number($('#temperature').value).toFixed(2);
  sample();
});
$('#prefix').addEventListener('input', sample);
$('#sample').addEventListener('click', () => {
  state.sampleSeed++;
  sample();
});

function redraw() {
  draw([
    { name: 'batch loss', x: state.batchX, y: state.batchY, color: '#9db4ec' },
    { name: 'epoch loss', x: state.epochX, y: state.epochY, color: '#d9480f' },
  ]);
}

function ready(gen, { untrained = false } = {}) {
  state.gen = gen;
  showSummary($('#summary'), gen.model);
  $('#download').disabled = false;
  $('#sample').disabled = false;
  // An untrained model writes noise: the samples wait for the first epoch.
  if (untrained) $('#samples').replaceChildren();
  else sample();
}

/** Let the page paint between the setup steps, so none of them is a long task. */
let lastTick = 0;
const tick = (what) => {
  const now = performance.now();
  (state.setupMs ??= []).push(`${what} ${(now - lastTick).toFixed(0)}`);
  return new Promise((r) => setTimeout(() => ((lastTick = performance.now()), r()), 0));
};

async function train() {
  state.setupMs = [];
  lastTick = performance.now();
  const lines = await corpus();
  await tick('corpus');
  if (lines.length < 2) throw new Error('give at least two lines to learn from');
  const cell = $('#cell').value;
  const units = Math.max(4, Math.min(512, Math.round(Number($('#units').value)) || 64));
  const epochs = Math.max(1, Math.min(200, Math.round(Number($('#epochs').value)) || 10));
  const vocab = Vocabulary.fromCorpus(lines);
  await tick('vocab');
  const base = new TextGenerator({ vocab, cell, units, seed: 1 });
  await tick('model');
  // As TextGenerator.fit prepares lines: one example per line, shuffled once.
  const ds = lineDataset(lines, vocab);
  await tick('dataset');
  const [N, T] = ds.x.shape;
  const order = Array.from({ length: N }, (_, i) => i);
  new Rng(7).shuffle(order);
  const x = new Float32Array(N * T);
  const y = new Float32Array(N * T);
  order.forEach((src, dst) => {
    x.set(ds.x.data.subarray(src * T, src * T + T), dst * T);
    y.set(ds.y.data.subarray(src * T, src * T + T), dst * T);
  });
  base.mode = 'lines';
  base.maxLength = T - 1;
  base.model.compile({ optimizer: optimizers.adam({ learningRate: 0.01, globalClipnorm: 5 }), loss: losses.sparseCategoricalCrossentropy(), metrics: ['accuracy'] });
  await tick('compile');
  ready(generator(base.model, base), { untrained: true });
  await tick('ready');
  Object.assign(state, { batchX: [], batchY: [], epochX: [], epochY: [], epochs: 0, firstBatchAt: null, trainStartAt: performance.now() });
  $('#epoch-samples').replaceChildren();
  redraw();
  const steps = Math.ceil(N / 32);
  const controller = new AbortController();
  state.training = controller;
  status(st, `Training ${cell.toUpperCase()}(${units}) on ${N} lines, ${steps} batches per epoch…`);
  const t0 = performance.now();
  try {
    await trainInWorker(base.model, new Tensor(x, [N, T]), new Tensor(y, [N, T]), {
      epochs,
      batchSize: 32,
      seed: 11,
      signal: controller.signal,
      onBatch: ({ epoch, batch, logs }) => {
        state.firstBatchAt ??= performance.now();
        state.batchEvents = (state.batchEvents ?? 0) + 1;
        state.batchX.push(epoch + (batch + 1) / steps);
        state.batchY.push(logs.loss);
        if (batch % 5 === 0) status(st, `Epoch ${epoch + 1}/${epochs}, batch ${batch + 1}/${steps}: loss ${fmt(logs.loss)}`);
        redraw();
      },
      onEpoch: ({ epoch, logs }) => {
        const t = performance.now();
        queueMicrotask(() => (state.epochHandlerMs ??= []).push(performance.now() - t));
        state.epochs = epoch + 1;
        state.epochX.push(epoch + 1);
        state.epochY.push(logs.loss);
        redraw();
        state.gen = generator(base.model, base);
        const names = state.gen.sampleMany(6, { temperature: 0.8, seed: epoch });
        const li = document.createElement('li');
        li.textContent = `loss ${fmt(logs.loss, 3)}, accuracy ${fmt(logs.accuracy, 3)}: ${names.join(', ')}`;
        $('#epoch-samples').append(li);
        sample();
      },
    });
    status(st, `Done: ${epochs} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
    state.gen = generator(base.model, base);
    sample();
    status(st, `Stopped during epoch ${state.epochs + 1}; the model keeps the weights of the last batch.`);
  } finally {
    state.training = null;
  }
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
$('#stop').addEventListener('click', () => {
  state.stoppedAt = performance.now();
  state.training?.abort();
});
$('#download').addEventListener('click', async () => {
  try {
    await download(state.gen);
    status($('#model-status'), 'Downloaded model.json and weights.bin (load them with TextGenerator.load or rnnkit.loadModel).');
  } catch (e) {
    status($('#model-status'), `Could not save: ${e.message}`, true);
  }
});
wireLoad(async (source) => {
  if (state.training !== null) throw new Error('stop training first');
  ready(await TextGenerator.load(source));
}, $('#model-status'));
