/**
 * loadModel: a model (Sequential or graph) from a TF.js layers-model — a Node path or file://
 * URL, an http(s):// URL (global fetch), or in-memory {modelJson, weightData}.
 * Reads rnnkit's own files, tfjs's model.save output and tensorflowjs-converted Keras
 * models (several shards, quantized weights).
 */
import { ModelFormatError } from '../core/errors.js';
import { readFromFiles } from '../io/node.js';
import type { Model } from './model.js';
import { modelFromArtifacts } from './loading.js';
import { checkModelJson, parseModelJson, shardPaths, type ModelArtifacts, type ModelJSON } from './saving.js';

export async function loadModel(source: string | ModelArtifacts | { modelJson: ModelJSON | string; weightData: ArrayBuffer | ArrayBuffer[] }): Promise<Model> {
  const what = 'loadModel';
  if (source !== null && typeof source === 'object') {
    const s = source as { modelJson?: unknown; weightData?: unknown };
    if (s.modelJson === undefined || s.weightData === undefined) throw new TypeError(`${what}: expected {modelJson, weightData}`);
    const json = typeof s.modelJson === 'string' ? parseModelJson(s.modelJson, `${what}: modelJson`) : checkModelJson(s.modelJson, `${what}: modelJson`);
    return modelFromArtifacts(json, s.weightData as ArrayBuffer | ArrayBuffer[], `${what}: modelJson`);
  }
  if (typeof source !== 'string') throw new TypeError(`${what}: expected a path, a URL, or {modelJson, weightData}; got ${String(source)}`);
  if (/^https?:\/\//.test(source)) return loadFromUrl(source, what);
  const files = await readFromFiles(source, what);
  const json = parseModelJson(files.jsonText, files.where);
  const shards = await Promise.all(shardPaths(json).map((p) => files.readShard(p)));
  return modelFromArtifacts(json, shards, files.where);
}

async function loadFromUrl(url: string, what: string): Promise<Model> {
  const get = async (u: string): Promise<Response> => {
    let r: Response;
    try {
      r = await fetch(u);
    } catch (e) {
      throw new Error(`${what}: cannot fetch ${u}: ${(e as Error).message}`);
    }
    if (!r.ok) throw new Error(`${what}: ${u} answered ${r.status} ${r.statusText}`);
    return r;
  };
  const jsonText = await (await get(url)).text();
  const json = parseModelJson(jsonText, url);
  const base = new URL('.', url);
  const shards = await Promise.all(shardPaths(json).map(async (p) => (await get(new URL(p, base).toString())).arrayBuffer()));
  if (shards.length === 0 && json.weightsManifest.some((g) => g.weights.length > 0)) throw new ModelFormatError(`${url}: the manifest lists weights but no files`);
  return modelFromArtifacts(json, shards, url);
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
