/**
 * loadModel: a model (Sequential or graph) from a TF.js layers-model — a Node path or file://
 * URL, an http(s):// URL (global fetch), or in-memory {modelJson, weightData} — or from a
 * Keras 3 or tf.keras 2.13–2.15 `.keras` file (a path ending in .keras, or in-memory {kerasFile};
 * io/kerasFile.ts; an HDF5 file under that name is read as .h5), or
 * from a Keras 2 `.h5` full-model file (a path ending in .h5, or {h5File}; io/kerasH5.ts).
 * Reads rnnkit's own files, tfjs's model.save output and tensorflowjs-converted Keras
 * models (several shards, quantized weights).
 */
import { ModelFormatError, checkBoolean, checkOptions, fileReadOptions, show } from '../core/errors.js';
import { MAX_JSON_BYTES, readFileBounded, readFromFiles } from '../io/node.js';
import { modelFromKerasFile } from '../io/kerasFile.js';
import { modelFromKerasH5 } from '../io/kerasH5.js';
import type { TextFunction } from '../text/vectorizer.js';
import { checkShardSizes, manifestLayout } from '../io/weights.js';
import type { Model } from './model.js';
import { modelFromArtifacts } from './loading.js';
import { checkModelJson, parseModelJson, type ModelArtifacts, type ModelJSON } from './saving.js';

/** How a model file is read: it is untrusted input (see loadModel). */
export interface LoadOptions {
  /** Most bytes of weights accepted, and of any one http(s) response. Default 2^31. */
  maxBytes?: number;
  /** Refuse weights and optimizer state holding NaN or ±Infinity. Default true. */
  checkFinite?: boolean;
  /** http(s): let the manifest (and redirects) lead to other origins. Default false (same origin only). */
  allowCrossOrigin?: boolean;
  /** http(s): milliseconds for the whole load. Default 60,000. */
  timeout?: number;
  /** Cancels the load (between files, and any download under way); it rejects with an Error named 'AbortError'. */
  signal?: AbortSignal;
  /**
   * Compile the model from the file's training config (loss, metrics, optimizer and its
   * state), as Keras's `load_model(compile=True)`. Default true. `false` loads the topology
   * and weights only: the way to open a file whose optimizer rnnkit cannot rebuild (tfjs's
   * Momentum, say). `.keras` and `.h5` files always come back uncompiled.
   */
  compile?: boolean;
  /**
   * JavaScript functions for the Python functions a Keras TextVectorization names as its
   * `standardize` or `split` (a custom_standardization stripping '<br />', say), by the name
   * the file gives (its registered name, 'Custom>custom_standardization', or its own):
   * standardize takes a text and returns one, split returns the tokens. An entry no layer
   * uses is refused. Such a model saves the function by that name (as Keras saves a Python
   * one); loading what it saved takes the function here again.
   */
  customObjects?: Record<string, TextFunction>;
}

type Source =
  | string
  | ModelArtifacts
  | { modelJson: ModelJSON | string; weightData: ArrayBuffer | ArrayBufferView | (ArrayBuffer | ArrayBufferView)[] }
  /** The bytes of a Keras 3 `.keras` file (browsers: from fetch or a file input). */
  | { kerasFile: ArrayBuffer | ArrayBufferView }
  /** The bytes of a Keras 2 / tf.keras / Keras 3 legacy `.h5` full-model file. */
  | { h5File: ArrayBuffer | ArrayBufferView };

type Options = Required<Omit<LoadOptions, 'signal' | 'customObjects'>> & { signal: AbortSignal | undefined; customObjects: Record<string, TextFunction> | undefined };

/**
 * The named function exports of a JavaScript module as loadModel's customObjects: a Keras
 * TextVectorization's standardize or split functions, by the names the file gives them —
 * `loadModel(file, {customObjects: textFunctionsFromModule(await import('./fns.mjs'))})`. A
 * non-function export, a default export or no named function at all is refused, naming `where`
 * (what the module is to the caller: a file, a text box).
 */
export function textFunctionsFromModule(mod: Readonly<Record<string, unknown>>, where = 'textFunctionsFromModule'): Record<string, TextFunction> {
  const example = 'export function custom_standardization(text) { … }';
  const entries = Object.entries(mod).filter(([name]) => name !== 'default');
  const bad = entries.filter(([, f]) => typeof f !== 'function').map(([name]) => `'${name}'`);
  if (bad.length > 0) throw new TypeError(`${where} exports ${bad.join(', ')}, which ${bad.length === 1 ? 'is' : 'are'} not a function`);
  if (entries.length === 0) throw new TypeError(`${where} exports no named function (${example})`);
  if (mod.default !== undefined) throw new TypeError(`${where} has a default export; functions are taken by the names they are exported under (${example})`);
  return Object.fromEntries(entries) as Record<string, TextFunction>;
}

/**
 * A loader's message about customObjects reworded for an interface that takes the functions
 * another way (a command-line flag, a text box): `give(name)` says how to give the function the
 * file names, `source` names what the functions came from.
 */
export function rewordCustomObjectsHint(message: string, give: (name: string) => string, source: string): string {
  return message
    .replace(/^loadModel: customObjects ('[^]*?) (is|are) named by no TextVectorization of ([^(]*?) \(.*\)$/, (_m, names: string, _verb: string, where: string) => `${source} exports ${names}, which no TextVectorization of ${where} names`)
    .replace(/give it (in JavaScript|again)[,:] loadModel\(file, \{customObjects: \{'([^']+)'.*?\}\}\)/, (_m, _a, name: string) => `give it in JavaScript: ${give(name)}`);
}

/** The options, checked, with their defaults. */
function loadOptions(options: LoadOptions, what: string): Options {
  checkOptions(options, ['maxBytes', 'checkFinite', 'allowCrossOrigin', 'timeout', 'signal', 'compile', 'customObjects'], what);
  const o = options ?? {};
  const { maxBytes, checkFinite } = fileReadOptions(o, what);
  const timeout = o.timeout ?? 60_000;
  if (typeof timeout !== 'number' || !(timeout > 0) || timeout > 2 ** 31 - 1) throw new RangeError(`${what}: timeout must be a number of milliseconds > 0 (at most 2^31 - 1), got ${show(o.timeout)}`);
  const signal = o.signal;
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof (signal as { aborted?: unknown }).aborted !== 'boolean' || typeof signal.addEventListener !== 'function')) {
    throw new TypeError(`${what}: signal must be an AbortSignal, got ${show(signal)}`);
  }
  const custom = o.customObjects;
  if (custom !== undefined) {
    if (custom === null || typeof custom !== 'object' || Array.isArray(custom)) throw new TypeError(`${what}: customObjects must be an object of functions by name, got ${show(custom)}`);
    for (const [k, f] of Object.entries(custom)) if (typeof f !== 'function') throw new TypeError(`${what}: customObjects['${k}'] must be a function, got ${show(f)?.slice(0, 60)}`);
  }
  return {
    customObjects: custom,
    maxBytes,
    checkFinite,
    allowCrossOrigin: o.allowCrossOrigin === undefined ? false : checkBoolean(o.allowCrossOrigin, `${what}: allowCrossOrigin`),
    compile: o.compile === undefined ? true : checkBoolean(o.compile, `${what}: compile`),
    timeout,
    signal,
  };
}

/** The rejection of an aborted load: an Error named 'AbortError' (as fetch and fit reject). */
function abortError(what: string, signal: AbortSignal): Error {
  const e = new Error(`${what}: aborted`, { cause: signal.reason });
  e.name = 'AbortError';
  return e;
}

const isBytes = (v: unknown): v is ArrayBuffer | ArrayBufferView => v instanceof ArrayBuffer || ArrayBuffer.isView(v) || Object.prototype.toString.call(v) === '[object ArrayBuffer]';

/** The bytes of a `{kerasFile}` or `{h5File}` source, which takes no other keys. */
function fileBytes(source: object, key: 'kerasFile' | 'h5File', what: string): Uint8Array {
  const k = (source as Record<string, unknown>)[key];
  const extra = Object.keys(source).filter((name) => name !== key);
  if (extra.length > 0) throw new TypeError(`${what}: {${key}} takes no other keys, got ${extra.map((name) => `'${name}'`).join(', ')}`);
  if (!isBytes(k)) throw new TypeError(`${what}: ${key} must be an ArrayBuffer or a typed array, got ${show(k)?.slice(0, 80)}`);
  return ArrayBuffer.isView(k) ? new Uint8Array(k.buffer, k.byteOffset, k.byteLength) : new Uint8Array(k);
}

/**
 * A model file is untrusted input: weight paths must stay inside the model's directory (or,
 * over http(s), on the model.json's origin), sizes are checked against the manifest before
 * anything is read or allocated (at most `maxBytes`), and weights holding NaN or Infinity
 * are refused, naming the weight (`checkFinite`). Every malformed file is a ModelFormatError
 * naming the field (and the file).
 */
export async function loadModel(source: Source, options: LoadOptions = {}): Promise<Model> {
  const what = 'loadModel';
  const o = loadOptions(options, what);
  const check = (): void => {
    if (o.signal?.aborted) throw abortError(what, o.signal);
  };
  check();
  const build = { maxBytes: o.maxBytes, checkFinite: o.checkFinite, compile: o.compile, customObjects: o.customObjects };
  if (source !== null && typeof source === 'object' && 'kerasFile' in source) return kerasOrH5(fileBytes(source, 'kerasFile', what), 'the .keras file', build);
  if (source !== null && typeof source === 'object' && 'h5File' in source) return modelFromKerasH5(fileBytes(source, 'h5File', what), 'the .h5 file', build);
  if (source !== null && typeof source === 'object') {
    const s = source as { modelJson?: unknown; weightData?: unknown };
    if (s.modelJson === undefined || s.weightData === undefined) throw new TypeError(`${what}: expected {modelJson, weightData}, {kerasFile} or {h5File}`);
    const extra = Object.keys(source).filter((key) => key !== 'modelJson' && key !== 'weightData');
    if (extra.length > 0) throw new TypeError(`${what}: {modelJson, weightData} takes no other keys, got ${extra.map((key) => `'${key}'`).join(', ')}`);
    const data = s.weightData;
    if (!isBytes(data) && !(Array.isArray(data) && data.every(isBytes))) {
      throw new TypeError(`${what}: weightData must be an ArrayBuffer, a typed array, or a list of them, got ${show(data)?.slice(0, 80)}`);
    }
    const where = `${what}: modelJson`;
    const json = typeof s.modelJson === 'string' ? parseModelJson(s.modelJson, where) : checkModelJson(s.modelJson, where);
    manifestLayout(json.weightsManifest, o.maxBytes, where);
    const shards = (Array.isArray(data) ? data : [data]).map((b) => (ArrayBuffer.isView(b) ? b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) : b) as ArrayBuffer);
    return modelFromArtifacts(json, shards, where, build);
  }
  if (typeof source !== 'string') throw new TypeError(`${what}: expected a path, a URL, {modelJson, weightData}, {kerasFile} or {h5File}; got ${show(source)?.slice(0, 80)}`);
  if (/\.onnx([?#]|$)/i.test(source)) throw new TypeError(`${what}: ${source} is an ONNX file; read it with loadOnnx`);
  if (/^https?:\/\//i.test(source)) {
    if (/\.keras([?#]|$)/i.test(source)) throw new TypeError(`${what}: .keras files are read from a path or from their bytes; fetch ${source} and pass {kerasFile: bytes}`);
    if (/\.(h5|hdf5)([?#]|$)/i.test(source)) throw new TypeError(`${what}: .h5 files are read from a path or from their bytes; fetch ${source} and pass {h5File: bytes}`);
    return loadFromUrl(source, what, o);
  }
  if (/\.keras$/i.test(source)) {
    const { bytes, where } = await readFileBounded(source, o.maxBytes, what);
    check();
    return kerasOrH5(bytes, where, build);
  }
  if (/\.(h5|hdf5)$/i.test(source)) {
    const { bytes, where } = await readFileBounded(source, o.maxBytes, what);
    check();
    return modelFromKerasH5(bytes, where, build);
  }
  const files = await readFromFiles(source, what);
  check();
  const json = parseModelJson(files.jsonText, files.where);
  const layout = manifestLayout(json.weightsManifest, o.maxBytes, files.where);
  const shards = await files.readShards(layout, check);
  check();
  return modelFromArtifacts(json, shards, files.where, build);
}

/** The HDF5 format signature, at the start of a file without a user block. */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * A `.keras` file's bytes: a Keras 3 zip, or an HDF5 full-model file under that name, as
 * tf.keras 2 writes with model.save('model.keras', save_format='h5') and reads back by its
 * content (its load_model asks h5py whether a file is HDF5 before looking at the name).
 * Such a file is read as the .h5 file it is; `where` says so in any error.
 */
function kerasOrH5(bytes: Uint8Array, where: string, build: Parameters<typeof modelFromKerasFile>[2]): Promise<Model> {
  const hdf5 = bytes.byteLength >= HDF5_SIGNATURE.length && HDF5_SIGNATURE.every((b, i) => bytes[i] === b);
  return hdf5 ? modelFromKerasH5(bytes, `${where} (an HDF5 full-model file under a .keras name, read as .h5)`, build) : modelFromKerasFile(bytes, where, build);
}

/** Redirects followed, each to the model.json's origin unless allowCrossOrigin. */
export const MAX_REDIRECTS = 5;

const REDIRECT = new Set([301, 302, 303, 307, 308]);

/**
 * An http(s) load. Redirects are fetched with `redirect: 'manual'` and followed here, at most
 * MAX_REDIRECTS, each to the same origin (any origin with allowCrossOrigin; where the
 * environment hides a redirect's target, as browsers do, one is followed only with
 * allowCrossOrigin). model.json may be at most min(maxBytes, 256 MiB); each weights file at
 * most what its manifest group still needs — checked against content-length before the
 * body is read and again while it streams. `timeout` covers the whole load; `signal` aborts it.
 */
async function loadFromUrl(url: string, what: string, o: Options): Promise<Model> {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    throw new TypeError(`${what}: ${JSON.stringify(url)} is not a valid URL`);
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), o.timeout);
  const onAbort = (): void => controller.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = controller.signal;
  const failed = (at: string, e: unknown): Error => {
    if (o.signal?.aborted) return abortError(what, o.signal);
    if (signal.aborted) {
      const t = new Error(`${what}: cannot fetch ${at}: no answer within ${o.timeout} ms (the timeout option)`);
      t.name = 'TimeoutError';
      return t;
    }
    if (e instanceof ModelFormatError || (e instanceof Error && e.message.startsWith(`${what}: `))) return e;
    return new Error(`${what}: cannot fetch ${at}: ${(e as Error).message}`);
  };

  /** The body of a 2xx response, at most `cap` bytes (content-length checked first); `tooBig(n)` words the refusal. */
  const body = async (r: Response, at: string, cap: number, tooBig: (n: string) => string): Promise<Uint8Array> => {
    if (!r.ok) {
      await r.body?.cancel();
      throw new Error(`${what}: ${at} answered ${r.status} ${r.statusText}`);
    }
    // A compressed body's content-length is not its size: that one is only checked while it streams.
    const encoded = (r.headers.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
    const declared = encoded ? NaN : Number(r.headers.get('content-length') ?? NaN);
    if (declared > cap) {
      await r.body?.cancel();
      throw new ModelFormatError(`${at}: ${tooBig(`${declared} bytes (its content-length)`)}`);
    }
    const chunks: Uint8Array[] = [];
    let n = 0;
    if (r.body !== null) {
      const reader = r.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        n += value.byteLength;
        if (n > cap) {
          await reader.cancel().catch(() => undefined);
          throw new ModelFormatError(`${at}: ${tooBig(`more than ${cap} bytes`)}`);
        }
        chunks.push(value);
      }
    }
    const out = new Uint8Array(n);
    let k = 0;
    for (const c of chunks) {
      out.set(c, k);
      k += c.byteLength;
    }
    return out;
  };

  /** GET `u` (following redirects as allowed), reading at most `cap` bytes. */
  const get = async (u: string, cap: number, tooBig: (n: string) => string): Promise<Uint8Array> => {
    let at = u;
    try {
      for (let hop = 0; ; hop++) {
        const r = await fetch(at, { redirect: 'manual', signal });
        const opaque = r.type === 'opaqueredirect';
        if (!opaque && !(REDIRECT.has(r.status) && r.headers.get('location') !== null)) return await body(r, at, cap, tooBig);
        await r.body?.cancel();
        if (hop >= MAX_REDIRECTS) throw new ModelFormatError(`${what}: ${u} redirects more than ${MAX_REDIRECTS} times`);
        if (opaque) {
          if (!o.allowCrossOrigin) throw new ModelFormatError(`${what}: ${at} redirects, and this environment does not say where to; pass allowCrossOrigin: true to follow it, or load from the final URL`);
          return await body(await fetch(at, { redirect: 'follow', signal }), at, cap, tooBig);
        }
        const next = new URL(r.headers.get('location')!, at);
        if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new ModelFormatError(`${what}: ${at} redirects to a ${next.protocol} URL; only http(s) redirects are followed`);
        if (next.origin !== origin && !o.allowCrossOrigin) throw new ModelFormatError(`${what}: ${at} redirects to another origin (${next.origin}); pass allowCrossOrigin: true to follow it`);
        at = next.toString();
      }
    } catch (e) {
      throw failed(at, e);
    }
  };

  try {
    const jsonCap = Math.min(o.maxBytes, MAX_JSON_BYTES);
    const jsonBytes = await get(url, jsonCap, (n) => `model.json is ${n}, more than the ${jsonCap} bytes accepted (${jsonCap === o.maxBytes ? "loadModel's maxBytes option" : 'the most a model.json may have'})`);
    const json = parseModelJson(new TextDecoder().decode(jsonBytes), url);
    const layout = manifestLayout(json.weightsManifest, o.maxBytes, url);
    const base = new URL(url);
    const sizes: number[][] = [];
    const shards: ArrayBuffer[] = [];
    for (const g of layout.groups) {
      let left = g.bytes;
      const got: number[] = [];
      for (const p of g.paths) {
        let u: URL;
        try {
          u = new URL(p.path, base);
        } catch {
          throw new ModelFormatError(`${url}: weights path ${JSON.stringify(p.path)} (${p.at}) is not a valid URL path`);
        }
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ModelFormatError(`${url}: weights path ${JSON.stringify(p.path)} (${p.at}) is a ${u.protocol} URL; only http(s) weights are fetched`);
        if (u.origin !== origin && !o.allowCrossOrigin) throw new ModelFormatError(`${url}: weights path ${JSON.stringify(p.path)} (${p.at}) is on another origin (${u.origin}); pass allowCrossOrigin: true to fetch it`);
        const need = left;
        const bytes = await get(u.toString(), need, (n) => `weights file ${JSON.stringify(p.path)} (${p.at}) is ${n}, but the manifest needs only ${need} more bytes for weightsManifest[${layout.groups.indexOf(g)}]`);
        left -= bytes.byteLength;
        got.push(bytes.byteLength);
        shards.push(bytes.buffer as ArrayBuffer);
      }
      sizes.push(got);
    }
    checkShardSizes(layout, sizes, url);
    if (o.signal?.aborted) throw abortError(what, o.signal);
    return modelFromArtifacts(json, shards, url, { maxBytes: o.maxBytes, checkFinite: o.checkFinite, compile: o.compile, customObjects: o.customObjects });
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The settings a task class (TextGenerator, Forecaster, Seq2Seq) saved in model.json's
 * metadata under `key` (version 1), and how to refuse the model: `not(why)` says that the
 * model at `where` is not an rnnkit `what`.
 */
export function taskMetadata<T>(model: Model, key: string, what: string, where: string): { meta: Partial<T>; not: (why: string) => ModelFormatError } {
  const not = (why: string): ModelFormatError => new ModelFormatError(`${where} is not an rnnkit ${what}: ${why}`);
  const meta = model.metadata?.[key] as Partial<T> & { version?: unknown };
  if (meta === undefined || meta === null || typeof meta !== 'object') throw not(`its model.json has no ${what} metadata`);
  if (meta.version !== 1) throw not(`unsupported ${what} metadata version ${JSON.stringify(meta.version)}`);
  return { meta, not };
}

/** How a load source is named in errors: its path or URL, or 'the model'. */
export function sourceName(source: unknown): string {
  return typeof source === 'string' ? source : 'the model';
}
