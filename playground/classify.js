// Text classifier page: TextClassifier.fit on this thread (fit yields about every 16 ms),
// predictions redrawn on every keystroke.
import { TextClassifier } from './rnnkit/index.js';
import { $, chart, download, fmt, showEnv, showSummary, status, wireLoad } from './common.js';

const SAMPLE = `positive, what a wonderful day, I loved every minute
positive, great food and lovely people
positive, this is the best film I have seen in years
positive, happy with the result, works perfectly
positive, a delightful, warm and funny story
positive, excellent service, friendly and fast
positive, I really enjoyed it, highly recommended
positive, beautiful music and a lovely evening
positive, brilliant idea, it made me smile
positive, the staff were kind and helpful
positive, amazing value, I am very pleased
positive, such a nice surprise, thank you
negative, what a terrible day, I hated every minute
negative, awful food and rude people
negative, this is the worst film I have seen in years
negative, unhappy with the result, it broke at once
negative, a dull, cold and boring story
negative, poor service, slow and unfriendly
negative, I really disliked it, not recommended
negative, horrible noise and a wasted evening
negative, stupid idea, it made me angry
negative, the staff were rude and useless
negative, terrible value, I am very disappointed
negative, such a nasty surprise, never again`;

const st = $('#status');
const drawCurves = chart($('#curves'), { xLabel: 'epoch', yLabel: 'loss / accuracy' });
const state = { clf: null, stop: false, loss: [], acc: [], epochs: 0, training: false };
window.playground = state;
$('#data').value = SAMPLE;
showEnv($('#env'), 'this thread (fit yields every ~16 ms)');

/** "label, text" lines (or a CSV with label and text columns) → texts and labels. */
function examples(text) {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  let labelCol = 0;
  let textCol = 1;
  const head = lines[0]?.toLowerCase().split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
  if (head !== undefined && head.includes('label') && head.includes('text')) {
    labelCol = head.indexOf('label');
    textCol = head.indexOf('text');
    lines.shift();
  }
  const texts = [];
  const labels = [];
  for (const l of lines) {
    const cells = l.split(',');
    if (cells.length < 2) continue;
    const label = cells[labelCol].trim().replace(/^"|"$/g, '');
    const body = (textCol === cells.length - 1 || textCol === 1 ? cells.slice(textCol).join(',') : cells[textCol]).trim().replace(/^"|"$/g, '');
    if (label !== '' && body !== '') (texts.push(body), labels.push(label));
  }
  return { texts, labels };
}
$('#csv-file').addEventListener('change', async () => {
  const f = $('#csv-file').files[0];
  if (f) $('#data').value = await f.text();
});

function predict() {
  const tbody = $('#probs tbody');
  if (state.clf === null) return;
  const text = $('#text').value;
  const p = state.clf.predict(text);
  state.prediction = p;
  const rows = Object.entries(p.probabilities).sort((a, b) => b[1] - a[1]);
  tbody.replaceChildren(
    ...rows.map(([c, v]) => {
      const tr = document.createElement('tr');
      if (c === p.label) tr.className = 'best';
      const bar = `<span style="display:inline-block;vertical-align:middle;height:.6rem;width:${Math.round(v * 100)}%;max-width:8rem;background:#2a5bd7;border-radius:3px;margin-right:.4rem"></span>`;
      tr.innerHTML = `<td></td><td>${bar}${v.toFixed(3)}</td>`;
      tr.cells[0].textContent = c;
      return tr;
    }),
  );
  status($('#pred-status'), `→ ${p.label}`);
}
$('#text').addEventListener('input', predict);

function ready(clf) {
  state.clf = clf;
  showSummary($('#summary'), clf.model);
  $('#download').disabled = false;
  predict();
}

$('#train').addEventListener('click', async () => {
  $('#train').disabled = true;
  $('#stop').disabled = false;
  state.stop = false;
  state.training = true;
  try {
    const { texts, labels } = examples($('#data').value);
    const classes = [...new Set(labels)].sort();
    if (classes.length < 2) throw new Error('give at least two classes');
    const epochs = Math.max(1, Math.round(Number($('#epochs').value)) || 30);
    const clf = TextClassifier.forData(texts, labels, { classes, units: Math.max(2, Number($('#units').value) || 16), embeddingDim: 16, vectorizer: { maxTokens: 5000, outputSequenceLength: 40 }, seed: 1 });
    state.loss = [];
    state.acc = [];
    const redraw = () =>
      drawCurves([
        { name: 'loss', x: state.loss.map((_, i) => i + 1), y: state.loss, color: '#2a5bd7' },
        { name: 'accuracy', x: state.acc.map((_, i) => i + 1), y: state.acc, color: '#2b8a3e' },
      ]);
    ready(clf);
    status(st, `Training on ${texts.length} examples, ${classes.length} classes…`);
    await clf.fit(texts, labels, {
      epochs,
      batchSize: 8,
      learningRate: 0.01,
      verbose: 0,
      seed: 1,
      callbacks: {
        onBatchEnd: () => {
          if (state.stop) clf.model.stopTraining = true;
        },
        onEpochEnd: (epoch, logs) => {
          state.epochs = epoch + 1;
          state.loss.push(logs.loss);
          if (logs.accuracy !== undefined) state.acc.push(logs.accuracy);
          status(st, `Epoch ${epoch + 1}/${epochs}: loss ${fmt(logs.loss)}, accuracy ${fmt(logs.accuracy, 3)}`);
          redraw();
          predict();
        },
      },
    });
    status(st, `${state.stop ? 'Stopped' : 'Done'} after ${state.loss.length} epochs: loss ${fmt(state.loss.at(-1))}.`);
  } catch (e) {
    status(st, `Training failed: ${e.message}`, true);
  } finally {
    state.training = false;
    $('#train').disabled = false;
    $('#stop').disabled = true;
  }
});
$('#stop').addEventListener('click', () => (state.stop = true));
$('#download').addEventListener('click', async () => {
  try {
    await download(state.clf);
    status($('#model-status'), 'Downloaded model.json and weights.bin (TextClassifier.load reads them in Node).');
  } catch (e) {
    status($('#model-status'), `Could not save: ${e.message}`, true);
  }
});
wireLoad(async (source) => ready(await TextClassifier.load(source)), $('#model-status'));
