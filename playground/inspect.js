// Model inspector: any model file rnnkit reads, opened from the user's disk (nothing is
// uploaded), its summary, a prediction on JSON input, and the model saved as .onnx, .keras
// or a TF.js layers model.
import { exportOnnx, loadModel, loadOnnx, rewordCustomObjectsHint, saveKerasFile, tensor, textFunctionsFromModule } from './rnnkit/index.js';
import { $, download, pickedArtifacts, status } from './common.js';

const state = { model: null, format: null, lastOutput: null };
window.playground = state;
const buttons = ['#random', '#predict', '#save-onnx', '#save-keras', '#save-tfjs'];

const FUNCTIONS = 'the functions box';

/**
 * The functions box as loadModel's customObjects (undefined when empty): a JavaScript module,
 * run in this tab as the user's own code, whose named exports stand in for the Python functions
 * a Keras TextVectorization names (a model file only names them; it never carries code).
 */
async function customObjects() {
  const code = $('#functions').value;
  if (code.trim() === '') return undefined;
  const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
  try {
    return textFunctionsFromModule(await import(url), FUNCTIONS);
  } catch (e) {
    throw new Error(e instanceof SyntaxError ? `${FUNCTIONS} is not a JavaScript module: ${e.message}` : e.message);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** The model in `files`: one .h5/.hdf5/.keras/.onnx file, or model.json with its weight files. */
async function open(files) {
  const list = [...files];
  const single = list.length === 1 ? list[0] : null;
  const name = single?.name.toLowerCase() ?? '';
  const bytes = async () => new Uint8Array(await single.arrayBuffer());
  const custom = await customObjects();
  if (single !== null && name.endsWith('.onnx')) {
    if (custom !== undefined) throw new Error(`${FUNCTIONS} is for Keras and TF.js text models (a TextVectorization's functions); an ONNX model has none: empty it to open this file`);
    return { model: await loadOnnx(await bytes()), format: 'ONNX' };
  }
  const options = custom === undefined ? {} : { customObjects: custom };
  if (single !== null && name.endsWith('.keras')) return { model: await loadModel({ kerasFile: await bytes() }, options), format: 'Keras .keras' };
  if (single !== null && /\.(h5|hdf5)$/.test(name)) return { model: await loadModel({ h5File: await bytes() }, options), format: 'Keras HDF5' };
  return { model: await loadModel(await pickedArtifacts(list), options), format: 'TF.js layers model' };
}

/** The model at a URL: a binary file fetched whole, a model.json through loadModel (which fetches its shards). */
async function openUrl(url) {
  const path = new URL(url).pathname.toLowerCase();
  if (!/\.(onnx|keras|h5|hdf5)$/.test(path)) {
    const custom = await customObjects();
    return { model: await loadModel(url, custom === undefined ? {} : { customObjects: custom }), format: 'TF.js layers model' };
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const name = path.split('/').at(-1);
  return open([new File([await res.arrayBuffer()], name)]);
}

async function openFiles(files) {
  const names = [...files].map((f) => f.name).join(' + ');
  await show(names, () => open(files));
}

async function show(names, read) {
  status($('#open-status'), `Reading ${names}…`);
  try {
    const { model, format } = await read();
    state.model?.dispose?.();
    Object.assign(state, { model, format, lastOutput: null });
    const io = (ts, ns) => ts.map((t, i) => `${ns[i]} [${['batch', ...t.shape.slice(1).map((d) => d ?? 'any')].join(', ')}]`).join(', ');
    const texts = Object.keys(model.textInputs);
    status($('#open-status'), `${names}: ${format} — inputs ${io(model.inputs, model.inputNames)}${texts.length > 0 ? ` (${texts.map((n) => `'${n}'`).join(', ')} takes texts)` : ''}; outputs ${io(model.outputs, model.outputNames)}`);
    $('#summary').textContent = model.summary(() => undefined);
    for (const b of buttons) $(b).disabled = false;
    $('#input').value = JSON.stringify(randomInput(model));
    $('#output').textContent = '';
    status($('#run-status'), '');
  } catch (e) {
    // The loaders' hint names the API; here the functions come from the functions box.
    const message = rewordCustomObjectsHint(e.message, (name) => `paste export function ${name}(text) { … } into ${FUNCTIONS}`, FUNCTIONS);
    status($('#open-status'), `Could not open ${names}: ${message}`, true);
  }
}

/**
 * Two samples of the right shape: open axes get 8 steps; inputs feeding an Embedding get ids
 * from 1 below its inputDim; a text input (a Keras TextVectorization) gets two texts of words
 * from its vocabulary.
 */
function randomInput(model) {
  const embeddings = model.layers.filter((l) => l.className === 'Embedding').map((l) => l.getConfig().inputDim);
  const texts = model.textInputs;
  const words = (v) => {
    const vocab = v.getVocabulary(false);
    return Array.from({ length: 6 }, () => vocab[Math.floor(Math.random() * vocab.length)]).join(' ');
  };
  const one = (t, i) => {
    const v = texts[model.inputNames[i]];
    if (v !== undefined) return [words(v), words(v)];
    const dims = [2, ...t.shape.slice(1).map((d) => d ?? 8)];
    const ids = embeddings.length > 0 && t.shape.length === 2;
    const fill = (level) => (level === dims.length ? (ids ? 1 + Math.floor(Math.random() * (Math.min(...embeddings) - 1)) : Math.round((Math.random() * 2 - 1) * 1000) / 1000) : Array.from({ length: dims[level] }, () => fill(level + 1)));
    return fill(0);
  };
  return model.inputs.length === 1 ? one(model.inputs[0], 0) : Object.fromEntries(model.inputs.map((t, i) => [model.inputNames[i], one(t, i)]));
}

function predict() {
  const model = state.model;
  try {
    const json = JSON.parse($('#input').value);
    const arrays = Array.isArray(json) ? [json] : model.inputNames.map((n) => {
      if (!(n in json)) throw new Error(`no array for input '${n}'`);
      return json[n];
    });
    // Texts go in as they are, for a text input; numbers as tensors.
    const asData = (a) => (Array.isArray(a) && typeof (Array.isArray(a[0]) ? a[0][0] : a[0]) === 'string' ? a : tensor(a));
    const y = model.predict(arrays.length === 1 ? asData(arrays[0]) : arrays.map(asData));
    const ys = Array.isArray(y) ? y : [y];
    state.lastOutput = ys.map((t) => Array.from(t.data));
    const round = (_k, v) => (typeof v === 'number' ? Number(v.toPrecision(7)) : v);
    $('#output').textContent = ys.map((t, i) => `${model.outputNames[i]} [${t.shape.join(', ')}]\n${JSON.stringify(t.arraySync(), round)}`).join('\n\n');
    status($('#run-status'), `${ys.map((t) => t.shape[0]).join(', ')} sample(s) predicted.`);
  } catch (e) {
    status($('#run-status'), e.message, true);
  }
}

function offer(name, bytes, type) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type }));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

async function save(kind) {
  try {
    if (kind === 'onnx') offer('model.onnx', await exportOnnx(state.model), 'application/octet-stream');
    else if (kind === 'keras') offer('model.keras', await saveKerasFile(state.model), 'application/zip');
    else await download(state.model);
    status($('#save-status'), `Saved as ${kind === 'tfjs' ? 'model.json + weights.bin' : `model.${kind}`}.`);
  } catch (e) {
    // An export refusal lists every layer it cannot write, one per line.
    status($('#save-status'), `Cannot save as ${kind}: ${e.message.split('\n').map((l) => l.trim()).join(' ')}`, true);
  }
}

$('#model-files').addEventListener('change', () => $('#model-files').files.length > 0 && openFiles($('#model-files').files));
const drop = $('#drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer.files.length > 0) openFiles(e.dataTransfer.files);
});
$('#url-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  let url;
  try {
    url = new URL($('#model-url').value, location.href).href;
  } catch {
    status($('#open-status'), `Not a URL: ${$('#model-url').value}`, true);
    return;
  }
  show(url.split('/').at(-1), () => openUrl(url));
});
$('#random').addEventListener('click', () => ($('#input').value = JSON.stringify(randomInput(state.model))));
$('#predict').addEventListener('click', predict);
$('#save-onnx').addEventListener('click', () => save('onnx'));
$('#save-keras').addEventListener('click', () => save('keras'));
$('#save-tfjs').addEventListener('click', () => save('tfjs'));
