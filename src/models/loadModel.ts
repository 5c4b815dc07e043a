/**
 * loadModel: a model (Sequential or graph) from a TF.js layers-model — a Node path or file://
 * URL, an http(s):// URL (global fetch), or in-memory {modelJson, weightData}.
 * Reads rnnkit's own files, tfjs's model.save output and tensorflowjs-converted Keras
 * models (several shards, quantized weights).
 */
import { ModelFormatError, checkBoolean, checkOptions } from '../core/errors.js';
import { readFromFiles } from '../io/node.js';
import { manifestBytes } from '../io/weights.js';
import type { Model } from './model.js';
import { modelFromArtifacts } from './loading.js';
import { checkModelJson, parseModelJson, shardPaths, type ModelArtifacts, type ModelJSON } from './saving.js';

/** How a model file is read: it is untrusted input (see loadModel). */
export interface LoadOptions {
  /** Most bytes of weights (and of any one download) accepted. Default 2^31. */
  maxBytes?: number;
  /** Refuse weights and optimizer state holding NaN or ±Infinity. Default true. */
  checkFinite?: boolean;
  /** http(s): let the manifest name weight files on other origins. Default false (same origin only). */
  allowCrossOrigin?: boolean;
  /** http(s): milliseconds for the whole load. Default 60,000. */
  timeout?: number;
  /** http(s): cancels the load. */
  signal?: AbortSignal;
}

type Source = string | ModelArtifacts | { modelJson: ModelJSON | string; weightData: ArrayBuffer | ArrayBuffer[] };

/** The options, checked, with their defaults. */
function loadOptions(options: LoadOptions, what: string): Required<Omit<LoadOptions, 'signal'>> & { signal: AbortSignal | undefined } {
  checkOptions(options, ['maxBytes', 'checkFinite', 'allowCrossOrigin', 'timeout', 'signal'], what);
  const maxBytes = options.maxBytes ?? 2 ** 31;
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`${what}: maxBytes must be a non-negative integer, got ${String(options.maxBytes)}`);
  const timeout = options.timeout ?? 60_000;
  if (typeof timeout !== 'number' || !(timeout > 0)) throw new RangeError(`${what}: timeout must be a number of milliseconds > 0, got ${String(options.timeout)}`);
  return {
    maxBytes,
    checkFinite: options.checkFinite === undefined ? true : checkBoolean(options.checkFinite, `${what}: checkFinite`),
    allowCrossOrigin: options.allowCrossOrigin === undefined ? false : checkBoolean(options.allowCrossOrigin, `${what}: allowCrossOrigin`),
    timeout,
    signal: options.signal,
  };
}

/**
 * A model file is untrusted input: weight paths must stay inside the model's directory (or,
 * over http(s), on the model.json's origin), sizes are checked against the manifest before
 * anything is read or allocated (at most `maxBytes`), and weights holding NaN or Infinity
 * are refused, naming the weight (`checkFinite`).
 */
export async function loadModel(source: Source, options: LoadOptions = {}): Promise<Model> {
  const what = 'loadModel';
  const o = loadOptions(options, what);
  const build = { maxBytes: o.maxBytes, checkFinite: o.checkFinite };
  if (source !== null && typeof source === 'object') {
    const s = source as { modelJson?: unknown; weightData?: unknown };
    if (s.modelJson === undefined || s.weightData === undefined) throw new TypeError(`${what}: expected {modelJson, weightData}`);
    const json = typeof s.modelJson === 'string' ? parseModelJson(s.modelJson, `${what}: modelJson`) : checkModelJson(s.modelJson, `${what}: modelJson`);
    manifestBytes(json.weightsManifest, o.maxBytes, `${what}: modelJson`);
    return modelFromArtifacts(json, s.weightData as ArrayBuffer | ArrayBuffer[], `${what}: modelJson`, build);
  }
  if (typeof source !== 'string') throw new TypeError(`${what}: expected a path, a URL, or {modelJson, weightData}; got ${String(source)}`);
  if (/^https?:\/\//.test(source)) return loadFromUrl(source, what, o);
  const files = await readFromFiles(source, what);
  const json = parseModelJson(files.jsonText, files.where);
  const bytes = manifestBytes(json.weightsManifest, o.maxBytes, files.where);
  const shards = await files.readShards(shardPaths(json), bytes);
  return modelFromArtifacts(json, shards, files.where, build);
}

/** Redirects followed (each to the same origin). */
const MAX_REDIRECTS = 5;

async function loadFromUrl(url: string, what: string, o: ReturnType<typeof loadOptions>): Promise<Model> {
  const origin = new URL(url).origin;
  const timer = AbortSignal.timeout(o.timeout);
  const signal = o.signal === undefined ? timer : AbortSignal.any([o.signal, timer]);
  let budget = o.maxBytes + 256 * 2 ** 20; // the weights plus model.json
  const get = async (u: string): Promise<Uint8Array> => {
    let at = u;
    for (let hop = 0; ; hop++) {
      let r: Response;
      try {
        r = await fetch(at, { redirect: 'manual', signal });
      } catch (e) {
        const why = timer.aborted ? `no answer within ${o.timeout} ms (the timeout option)` : o.signal?.aborted ? 'aborted' : (e as Error).message;
        throw new Error(`${what}: cannot fetch ${at}: ${why}`);
      }
      if (r.status >= 300 && r.status < 400) {
        const loc = r.headers.get('location');
        if (loc === null) throw new Error(`${what}: ${at} answered ${r.status} without a location`);
        const next = new URL(loc, at);
        if (next.origin !== origin && !o.allowCrossOrigin) throw new ModelFormatError(`${what}: ${at} redirects to another origin (${next.origin}); pass allowCrossOrigin: true to follow it`);
        if (hop >= MAX_REDIRECTS) throw new Error(`${what}: more than ${MAX_REDIRECTS} redirects from ${u}`);
        at = next.toString();
        continue;
      }
      if (!r.ok) throw new Error(`${what}: ${at} answered ${r.status} ${r.statusText}`);
      const declared = Number(r.headers.get('content-length') ?? NaN);
      if (declared > budget) throw new ModelFormatError(`${what}: ${at} is ${declared} bytes, more than the ${budget} left under maxBytes`);
      const chunks: Uint8Array[] = [];
      let n = 0;
      if (r.body !== null) {
        const reader = r.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          n += value.byteLength;
          if (n > budget) {
            await reader.cancel();
            throw new ModelFormatError(`${what}: ${at} sent more than the ${budget} bytes left under maxBytes`);
          }
          chunks.push(value);
        }
      }
      budget -= n;
      const out = new Uint8Array(n);
      let k = 0;
      for (const c of chunks) {
        out.set(c, k);
        k += c.byteLength;
      }
      return out;
    }
  };
  const json = parseModelJson(new TextDecoder().decode(await get(url)), url);
  const bytes = manifestBytes(json.weightsManifest, o.maxBytes, url);
  const base = new URL('.', url);
  const shardUrls = shardPaths(json).map((p) => {
    const u = new URL(p, base);
    if (u.origin !== origin && !o.allowCrossOrigin) throw new ModelFormatError(`${url}: weights path ${JSON.stringify(p)} is on another origin (${u.origin}); pass allowCrossOrigin: true to fetch it`);
    return u.toString();
  });
  if (shardUrls.length === 0 && bytes > 0) throw new ModelFormatError(`${url}: the manifest lists weights but no files`);
  const shards: ArrayBuffer[] = [];
  for (const u of shardUrls) shards.push((await get(u)).buffer as ArrayBuffer);
  return modelFromArtifacts(json, shards, url, { maxBytes: o.maxBytes, checkFinite: o.checkFinite });
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
