/**
 * Keras 3 `.keras` files (keras/src/saving/saving_lib.py): a zip of config.json (the model,
 * serialized as Keras 3 serializes it), metadata.json ({keras_version, date_saved}) and
 * model.weights.h5. The topology goes through the same Keras 3 reader as a TF.js
 * model.json (models/loading.ts); the new part is the container and the weight paths.
 *
 * The weights file holds a group `<path>/vars` per object, its variables as datasets "0",
 * "1", … (trainable first, then non-trainable, in creation order, as Layer.save_own_variables
 * writes them). A model's layers are at `layers/<snake_case(class name)>`, the second of a
 * class `<name>_1` (saving_lib._get_unique_name: never the layer's own name, which Keras
 * generates); a recurrent layer's variables belong to its cell (`layers/lstm/cell/vars/0`),
 * Bidirectional's to `forward_layer` and `backward_layer`, TimeDistributed's to `layer`.
 * tf.keras 2.13–2.15 wrote .keras files too: a Keras 2 config.json (read as a Keras 2 h5
 * file's model_config is) and the weights at the same paths (see keras2Paths).
 *
 * The file is untrusted: the zip is read from its central directory with every size
 * checked before anything is allocated (declared sizes summed against maxBytes, each
 * member inflated into a buffer of its declared size and its CRC-32 compared, so a member
 * that claims less than it holds is refused), members other than the three are named and
 * refused, and every error is a ModelFormatError naming the file and the member. The zip
 * (fflate) and HDF5 (jsfive) readers are imported only when a .keras file is read.
 */
import { ModelFormatError, show } from '../core/errors.js';
import { lfsNote, textConversionNote } from './lfsPointer.js';
import { Tensor } from '../core/tensor.js';
import { Bidirectional } from '../layers/bidirectional.js';
import { InputLayer } from '../layers/inputLayer.js';
import { withNonFiniteWeights, withWeightBudget, type Layer, type LayerWeight } from '../layers/layer.js';
import { MultiHeadAttention } from '../layers/multiHeadAttention.js';
import { Recurrent } from '../layers/recurrent.js';
import { TimeDistributed } from '../layers/timeDistributed.js';
import { Model } from '../models/model.js';
import { kerasModelParts } from '../models/loading.js';
import { MAX_DEPTH, checkDepth } from '../models/saving.js';
import { textLayers, vocabularyLines, type KerasTextLayer, type TextSources, type VocabularySource } from './kerasText.js';
import { unbuiltModelError, type KerasModelJSON } from './config.js';
import { countValues, datasetsUnder, openH5, reading, weightReader, type H5Dataset } from './hdf5Read.js';

const CONFIG = 'config.json';
const METADATA = 'metadata.json';
const WEIGHTS = 'model.weights.h5';
/** saving_lib's _ASSETS_DIRNAME: what layers save beside their variables (a vocabulary). */
const ASSETS = 'assets/';
/** The most bytes config.json or metadata.json may have. */
const MAX_JSON_BYTES = 256 * 2 ** 20;

export interface KerasFileOptions {
  maxBytes: number;
  checkFinite: boolean;
  /** loadModel's customObjects: functions a TextVectorization names. */
  customObjects?: TextSources['customObjects'];
}

/**
 * A reader imported on first use (the literal import() stays visible to bundlers). In a
 * browser loading dist/ without a bundler the bare name resolves only through an import map.
 */
async function lazy<T>(load: () => Promise<T>, name: string, where: string): Promise<T> {
  try {
    return await load();
  } catch (e) {
    throw new Error(`${where}: reading a .keras file needs the '${name}' package (a dependency of rnnkit; in a browser without a bundler, map it with an import map): ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------
// The zip container.

let crcTable: Int32Array | null = null;

/** CRC-32 (the zip's polynomial 0xEDB88320), to catch a member that inflates to other bytes than it declares. */
export function crc32(data: Uint8Array): number {
  if (crcTable === null) {
    crcTable = new Int32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c;
    }
  }
  let c = -1;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressed: number;
  size: number;
  local: number;
}

/** The central directory's entries; sizes are only declared here (checked as each member is read). */
function zipEntries(bytes: Uint8Array, where: string): ZipEntry[] {
  // A text-converted zip still ends in a PK record but its offsets are garbled: said where the structure fails.
  const bad = (why: string, note = textConversionNote(bytes)): ModelFormatError => new ModelFormatError(`${where}: not a readable .keras zip: ${why}${note}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record: 22 bytes and a comment of at most 65535.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= 0 && i >= bytes.length - 22 - 65535; i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad(`no end-of-central-directory record (a truncated file, or not a zip)${lfsNote(bytes)}`, '');
  const count = dv.getUint16(eocd + 10, true);
  const cdSize = dv.getUint32(eocd + 12, true);
  const cdOffset = dv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) throw bad('a zip64 archive (over 4 GiB or 65535 members) is not supported');
  if (cdOffset + cdSize > eocd) throw bad(`its central directory (${cdSize} bytes at ${cdOffset}) runs past the end of the archive (a truncated file)`);
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cdOffset + cdSize || dv.getUint32(p, true) !== 0x02014b50) throw bad(`central directory entry ${k} is damaged`);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    if (p + 46 + nameLen > cdOffset + cdSize) throw bad(`central directory entry ${k} is damaged`);
    const entry: ZipEntry = {
      flags: dv.getUint16(p + 8, true),
      method: dv.getUint16(p + 10, true),
      crc: dv.getUint32(p + 16, true),
      compressed: dv.getUint32(p + 20, true),
      size: dv.getUint32(p + 24, true),
      local: dv.getUint32(p + 42, true),
      name: new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen)),
    };
    if (entry.compressed === 0xffffffff || entry.size === 0xffffffff || entry.local === 0xffffffff) throw bad(`member ${JSON.stringify(entry.name)} uses zip64 sizes, which are not supported`);
    entries.push(entry);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** One member's bytes: exactly its declared size, inflated at most that far, its CRC-32 checked. */
async function zipMember(bytes: Uint8Array, e: ZipEntry, where: string): Promise<Uint8Array> {
  const at = `${where}: ${e.name}`;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (e.flags & 1) throw new ModelFormatError(`${at}: the member is encrypted`);
  if (e.local + 30 > bytes.length || dv.getUint32(e.local, true) !== 0x04034b50) throw new ModelFormatError(`${at}: its local header is missing or damaged (a truncated file?)`);
  const start = e.local + 30 + dv.getUint16(e.local + 26, true) + dv.getUint16(e.local + 28, true);
  if (start + e.compressed > bytes.length) throw new ModelFormatError(`${at}: its ${e.compressed} bytes run past the end of the archive (a truncated file)`);
  const raw = bytes.subarray(start, start + e.compressed);
  let out: Uint8Array;
  if (e.method === 0) {
    if (e.compressed !== e.size) throw new ModelFormatError(`${at}: stored (not compressed), yet its sizes differ (${e.compressed} and ${e.size} bytes)`);
    out = raw;
  } else if (e.method === 8) {
    const { inflateSync } = await lazy(() => import('fflate'), 'fflate', where);
    try {
      // A buffer of the declared size, never grown: a member claiming less than it holds
      // cannot take more memory than it declared (and then fails its CRC).
      out = inflateSync(raw, { out: new Uint8Array(e.size) });
    } catch (err) {
      throw new ModelFormatError(`${at}: cannot inflate it: ${(err as Error).message}`);
    }
    if (out.length !== e.size) throw new ModelFormatError(`${at}: inflates to ${out.length} bytes, not the ${e.size} it declares`);
  } else {
    throw new ModelFormatError(`${at}: compression method ${e.method} is not supported (stored and deflate are)`);
  }
  if (crc32(out) !== e.crc) throw new ModelFormatError(`${at}: its CRC-32 does not match (a damaged file, or a member that holds more than it declares)`);
  return out;
}

// ---------------------------------------------------------------------------------------
// Keras 3's weight paths.

/** keras/src/utils/naming.py to_snake_case, as saving_lib names a container's members. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Where each of a layer's weights lives in model.weights.h5, under `prefix` (its own path plus '/'); `models` collects nested models' prefixes. */
function layerPaths(layer: Layer, json: unknown, prefix: string, out: Map<LayerWeight, string>, where: string, models?: string[], doubled = false): void {
  if (layer instanceof Model) {
    models?.push(prefix);
    modelPaths(layer, json as KerasModelJSON, prefix, out, where, models, doubled);
  } else if (layer instanceof Bidirectional) {
    layerPaths(layer.forwardLayer, null, `${prefix}forward_layer/`, out, where);
    layerPaths(layer.backwardLayer, null, `${prefix}backward_layer/`, out, where);
  } else if (layer instanceof TimeDistributed) {
    const c = (json as { config?: { layer?: unknown } } | null)?.config?.layer ?? null;
    layerPaths(layer.layer, c, `${prefix}layer/`, out, where);
  } else if (layer instanceof MultiHeadAttention) {
    // Its variables belong to its EinsumDense sublayers, saved under the layer's properties
    // query_dense, key_dense, value_dense and output_dense (Keras ≥ 3.0.3), kernel then bias.
    for (const w of layer.weights) {
      const [dense, v] = w.name.split('/') as [string, string];
      out.set(w, `${prefix}${dense === 'attention_output' ? 'output' : dense}_dense/vars/${v === 'kernel' ? 0 : 1}`);
    }
  } else {
    const vars = layer instanceof Recurrent ? `${prefix}cell/vars` : `${prefix}vars`;
    layer.weights.forEach((w, i) => out.set(w, `${vars}/${i}`));
  }
}

/**
 * A Sequential's or Functional's layers: `layers/<snake name>` in config.json's order (Keras's
 * model.layers), the k-th of a class `<snake name>_k`; `doubled`: tf.keras 2.13's count,
 * where a layer with weights takes two numbers (keras2Paths).
 */
export function modelPaths(model: Model, json: KerasModelJSON, prefix: string, out: Map<LayerWeight, string>, where: string, models?: string[], doubled = false): void {
  const list = json?.config?.layers;
  if (!Array.isArray(list)) throw new ModelFormatError(`${where}: ${CONFIG}: the model's config has no layers list`);
  const used = new Map<string, number>();
  for (const l of list) {
    if (l?.class_name === 'InputLayer') continue;
    // A Keras op in the graph (the NotEqual of an Embedding's mask, models/loading.ts) is no layer: it has no weights and no place.
    const module = (l as unknown as { module?: unknown } | null)?.module;
    if (typeof module === 'string' && module.startsWith('keras.src.ops')) continue;
    const name = typeof l?.name === 'string' ? l.name : (l?.config?.name as string);
    const layer = model.layers.find((x) => x.name === name && !(x instanceof InputLayer));
    if (layer === undefined) throw new ModelFormatError(`${where}: ${CONFIG}: layer '${String(name)}' is not in the loaded model`);
    const snake = toSnakeCase(String(l.class_name));
    const n = used.get(snake) ?? 0;
    used.set(snake, n + (doubled && layer.weights.length > 0 ? 2 : 1));
    layerPaths(layer, l, `${prefix}layers/${n === 0 ? snake : `${snake}_${n}`}/`, out, where, models, doubled);
  }
}

// ---------------------------------------------------------------------------------------

function parseJsonMember(bytes: Uint8Array, at: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ModelFormatError(`${at}: not valid JSON: ${(e as Error).message}`);
  }
  // Before anything walks it: the loaders recurse, and a deeper value would overflow the stack.
  checkDepth(v, MAX_DEPTH, at);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ModelFormatError(`${at}: expected a JSON object, got ${show(v)?.slice(0, 80)}`);
  return v as Record<string, unknown>;
}

/**
 * A model from the bytes of a Keras 3 `.keras` file (`where` names it in errors). The
 * topology and weights are read; config.json's compile_config and the optimizer's state
 * are not (the model comes back uncompiled), nor are the seed generators' states of
 * dropout layers (rnnkit draws its own dropout masks).
 */
export async function modelFromKerasFile(data: Uint8Array, where: string, o: KerasFileOptions): Promise<Model> {
  if (data.byteLength > o.maxBytes) throw new ModelFormatError(`${where}: ${data.byteLength} bytes, more than the ${o.maxBytes} accepted (loadModel's maxBytes option)`);
  const entries = zipEntries(data, where);
  const byName = new Map<string, ZipEntry>();
  let total = 0;
  for (const e of entries) {
    if (byName.has(e.name)) throw new ModelFormatError(`${where}: the zip holds two members named ${JSON.stringify(e.name)}`);
    byName.set(e.name, e);
    // Directory entries carry nothing; any other member rnnkit would not read is refused.
    if (e.name.endsWith('/') && e.size === 0) continue;
    // Assets are checked against the layers that own them once config.json is read (textAssets).
    if (e.name !== CONFIG && e.name !== METADATA && e.name !== WEIGHTS && !e.name.startsWith(ASSETS)) {
      const why = e.name === 'model.weights.npz' ? 'weights in the npz format (rnnkit reads model.weights.h5)' : 'a member a Keras 3 model file does not have';
      throw new ModelFormatError(`${where}: member ${JSON.stringify(e.name)} is ${why}; a .keras file rnnkit reads holds ${CONFIG}, ${METADATA} and ${WEIGHTS}`);
    }
    total += e.size;
    if (total > o.maxBytes) throw new ModelFormatError(`${where}: ${e.name}: its members declare ${total} bytes or more, more than the ${o.maxBytes} accepted (loadModel's maxBytes option)`);
  }
  const missing = [CONFIG, METADATA, WEIGHTS].filter((n) => !byName.has(n));
  if (missing.length > 0) throw new ModelFormatError(`${where}: the zip has no ${missing.join(', ')} (a Keras 3 .keras file holds ${CONFIG}, ${METADATA} and ${WEIGHTS})`);
  for (const n of [CONFIG, METADATA]) if (byName.get(n)!.size > MAX_JSON_BYTES) throw new ModelFormatError(`${where}: ${n}: ${byName.get(n)!.size} bytes, more than the ${MAX_JSON_BYTES} a JSON member may have`);

  const metadata = parseJsonMember(await zipMember(data, byName.get(METADATA)!, where), `${where}: ${METADATA}`);
  const version = metadata.keras_version;
  if (typeof version !== 'string') throw new ModelFormatError(`${where}: ${METADATA}: no keras_version`);
  // tf.keras 2.13–2.15 wrote .keras files too, and tf_keras (2.16 on, Keras 2 kept for TensorFlow 2.16+) still does: Keras 2 configs, weights at Keras 3's paths.
  const keras2 = /^2\.(1[3-9]|[2-9]\d)\./.test(version);
  if (!keras2 && !/^3\./.test(version)) throw new ModelFormatError(`${where}: ${METADATA}: keras_version ${JSON.stringify(version)}; rnnkit reads the .keras files of Keras 3, of tf.keras 2.13 to 2.15 and of tf_keras 2.16 on`);
  const config = parseJsonMember(await zipMember(data, byName.get(CONFIG)!, where), `${where}: ${CONFIG}`);

  const h5bytes = await zipMember(data, byName.get(WEIGHTS)!, where);
  const h5where = `${where}: ${WEIGHTS}`;
  const file = await openH5(h5bytes, h5where, o.maxBytes);
  const found = reading(h5where, () => datasetsUnder(file, h5where));
  const { datasets, doubled } = keras2 ? keras2Paths(found, version, h5where) : { datasets: found, doubled: false };
  const values = countValues(datasets, h5bytes.byteLength, h5where, o.maxBytes);

  const assets = new Map<string, Uint8Array>();
  for (const e of entries) {
    if (!e.name.startsWith(ASSETS) || e.name.endsWith('/')) continue;
    assets.set(keras2 ? e.name.replace(/\\/g, '/').replace(/^assets\/_layer_checkpoint_dependencies\//, 'assets/layers/') : e.name, await zipMember(data, e, where));
  }
  const vocabularies = textAssets(config as unknown as KerasModelJSON, assets, datasets, where, h5where);

  // Layers allocate as they are built (8 bytes a value): no more than the file holds, plus slack for a missing weight to be named.
  let parts: ReturnType<typeof kerasModelParts>;
  try {
    parts = withWeightBudget(8 * values + 2 ** 26, () => kerasModelParts(config as unknown as KerasModelJSON, keras2 ? 'keras2' : 'keras3', `${where}: ${CONFIG}`, { vocabularies, customObjects: o.customObjects }));
  } catch (e) {
    throw unbuiltModelError(e, [...datasets.keys()].some((p) => p.startsWith('layers/')));
  }
  const { model, topology } = parts;
  const tensors = keras3WeightTensors(model, topology, datasets, h5where, o.checkFinite, where, doubled);
  const set = (): void => model.setWeights(tensors);
  if (o.checkFinite) set();
  else withNonFiniteWeights(set);
  return model;
}

/**
 * The state of the TextVectorization layers (io/kerasText.ts) a .keras file holds beside
 * its config: each adapted layer's `assets/<path>/vocabulary.txt`, and a 'tf_idf' layer's
 * `<path>/vars/idf_weights` in the weights file. Keras writes them once for the layer and
 * once more for the StringLookup inside it (`<path>/_lookup_layer/…`): the copies must
 * agree. Any other asset, or any other variable under such a path, is refused by name; the
 * datasets read are taken out of `datasets`, whose remaining variables the model's layers
 * must use.
 */
function textAssets(config: KerasModelJSON, assets: Map<string, Uint8Array>, datasets: Map<string, H5Dataset>, where: string, h5where: string): VocabularySource {
  const layers = textLayers(config, `${where}: ${CONFIG}`);
  const owner = (name: string): KerasTextLayer | undefined => layers.find((l) => name.startsWith(`${l.path}/`));
  for (const name of assets.keys()) {
    const l = owner(name.slice(ASSETS.length));
    if (l === undefined || !/(^|\/)vocabulary\.txt$/.test(name)) throw new ModelFormatError(`${where}: member ${JSON.stringify(name)} is an asset rnnkit does not read (it reads the vocabulary.txt of TextVectorization layers${layers.length === 0 ? ', and the model has none' : ''})`);
  }
  const found = new Map<KerasTextLayer, { vocabulary: string[] | null; idfWeights: number[] | null }>();
  for (const l of layers) {
    const own = `${ASSETS}${l.path}/vocabulary.txt`;
    // The layer's own file first: it is the one Keras's TextVectorization.load_assets reads.
    const copies = [...assets].filter(([name]) => name.startsWith(`${ASSETS}${l.path}/`)).sort(([a], [b]) => Number(b === own) - Number(a === own));
    if (copies.length > 0 && copies[0]![0] !== own) throw new ModelFormatError(`${where}: ${copies[0]![0]} is there, but not ${own}, the vocabulary of TextVectorization '${l.name}'`);
    let vocabulary: string[] | null = null;
    for (const [name, bytes] of copies) {
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        // Python writes it in the saving machine's encoding: on Windows a code page (1252, 1251, 932, …) the bytes do not name.
        throw new ModelFormatError(`${where}: ${name}: not UTF-8 text; Keras writes the vocabulary in the saving machine's encoding (on Windows its code page, such as Windows-1252), which rnnkit does not guess: save the model again with Python in UTF-8 mode (PYTHONUTF8=1), or re-encode that member as UTF-8`);
      }
      const lines = vocabularyLines(text);
      if (vocabulary !== null && (lines.length !== vocabulary.length || lines.some((t, i) => t !== vocabulary![i]))) throw new ModelFormatError(`${where}: ${name} differs from ${copies[0]![0]}: two vocabularies for TextVectorization '${l.name}'`);
      vocabulary = lines;
    }
    let idfWeights: number[] | null = null;
    for (const [p, d] of [...datasets]) {
      if (!p.startsWith(`${l.path}/`)) continue;
      const at = `${h5where}: ${p}`;
      if (!/(^|\/)vars\/idf_weights$/.test(p)) throw new ModelFormatError(`${at}: a variable TextVectorization '${l.name}' does not have (it has only 'tf_idf' weights)`);
      const read = reading(at, () => weightReader(d, false, at));
      const v = Array.from(reading(at, read));
      const i = v.findIndex((x) => !Number.isFinite(x));
      if (i >= 0) throw new ModelFormatError(`${at}: holds ${v[i]} at index ${i}`);
      if (idfWeights !== null && (v.length !== idfWeights.length || v.some((x, k) => x !== idfWeights![k]))) throw new ModelFormatError(`${at}: differs from the layer's other copy of its idf weights`);
      idfWeights = v;
      datasets.delete(p);
    }
    found.set(l, { vocabulary, idfWeights });
  }
  return (layer) => found.get(layers.find((l) => l.path === layer.path)!) ?? { vocabulary: null, idfWeights: null };
}

/**
 * tf.keras 2.15 and tf_keras name a model's layers as Keras 3 does ('layers/lstm/cell/vars/0').
 * tf.keras 2.13 and 2.14 walked the attribute '_layer_checkpoint_dependencies' first — joined
 * with '\\' where saved on Windows ('_layer_checkpoint_dependencies\\lstm\\cell/vars/0'): a dict
 * holding each layer with weights twice ('layer_with_weights-k', then 'layer-i'). 2.13's
 * container walk counted the second sighting before skipping it (fixed in June 2023, keras
 * 0454a4038, so from 2.14): in a 2.13.1 file the second Dense of [Embedding, LSTM, Dense,
 * Dropout, Dense] is 'dense_2', in a 2.14.0 one 'dense_1' (both seen in published files).
 * Those paths are read as 'layers/…', with 2.13's count where it applies (`doubled`); a file
 * holding both forms is refused.
 */
function keras2Paths(found: Map<string, H5Dataset>, version: string, h5where: string): { datasets: Map<string, H5Dataset>; doubled: boolean } {
  const out = new Map<string, H5Dataset>();
  let doubled = false;
  for (const [p, d] of found) {
    const slashed = p.replace(/\\/g, '/');
    const q = slashed.replace(/(^|\/)_layer_checkpoint_dependencies\//g, '$1layers/');
    if (q !== slashed && version.startsWith('2.13.')) doubled = true;
    if (out.has(q)) throw new ModelFormatError(`${h5where}: ${p} and another variable both stand at ${q}`);
    out.set(q, d);
  }
  return { datasets: out, doubled };
}

/**
 * A model's weights (model.weights order) from a Keras 3 weights file's datasets (a .keras
 * file's model.weights.h5, or save_weights' .weights.h5): each weight at the path Keras 3
 * gives it (`json`: the model's Keras 3 config, whose layer classes and order make the paths),
 * shape, dtype and values checked; every variable of the file's layers must be used.
 */
export function keras3WeightTensors(model: Model, json: KerasModelJSON, datasets: Map<string, H5Dataset>, h5where: string, checkFinite: boolean, where: string, doubled = false): Tensor[] {
  const paths = new Map<LayerWeight, string>();
  const nested: string[] = [];
  modelPaths(model, json, '', paths, where, nested, doubled);
  const used = new Set<string>();
  const tensors = model.weights.map((w) => {
    const p = paths.get(w);
    if (p === undefined) throw new ModelFormatError(`${where}: weight '${w.name}' has no place in Keras 3's layout`);
    // Keras 3.0.0–3.0.2 saved MultiHeadAttention's projections under its private attributes ('_query_dense').
    const old = p.replace(/\/(query|key|value|output)_dense\/vars\//, '/_$1_dense/vars/');
    const at0 = datasets.has(p) || old === p || !datasets.has(old) ? p : old;
    const d = datasets.get(at0);
    if (d === undefined) throw new ModelFormatError(`${h5where}: variable ${p} (${w.name}, shape [${w.shape.join(', ')}]) is missing`);
    const at = `${h5where}: ${at0} (${w.name})`;
    if (d.shape.length !== w.shape.length || d.shape.some((n, i) => n !== w.shape[i])) throw new ModelFormatError(`${at}: shape [${d.shape.join(', ')}], expected [${w.shape.join(', ')}]`);
    const read = reading(at, () => weightReader(d, w.integer === true, at));
    const v = reading(at, read);
    if (v.length !== w.value.length) throw new ModelFormatError(`${at}: holds ${v.length} values, expected ${w.value.length}`);
    if (checkFinite) {
      const i = v.findIndex((x) => !Number.isFinite(x));
      if (i >= 0) throw new ModelFormatError(`${at}: holds ${v[i]} at index ${i}; non-finite weights are refused (checkFinite: false loads them anyway)`);
    }
    used.add(at0);
    return new Tensor(v, [...w.shape]);
  });
  // Every variable of the model's layers must have been used (dropout seed-generator states
  // excepted); groups of a model other than its layers and vars (optimizer, metrics) are
  // training state — at the top, and in a nested model compiled and trained on its own
  // (TensorFlow's tutorial: Sequential([vectorize_layer, model, …]) after model.fit).
  const trainingState = (p: string): boolean => nested.some((m) => p.startsWith(m) && !/^(layers|vars)\//.test(p.slice(m.length)));
  const extra = [...datasets.keys()].filter((p) => p.startsWith('layers/') && !used.has(p) && !/(^|\/)seed_generator(_\d+)?\//.test(p) && !trainingState(p));
  if (extra.length > 0) throw new ModelFormatError(`${h5where}: variables the model's layers do not have: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? `, … (${extra.length})` : ''}`);
  return tensors;
}
