/**
 * A model as TF.js layers-model artifacts — model.json (topology, weights manifest,
 * training config) plus the weight bytes — and back. Runtime-neutral: no file system
 * here (node.ts writes and reads files; in browsers pass the artifacts to your store).
 */
import { ModelFormatError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import type { Sequential } from './sequential.js';
import { Bidirectional } from '../layers/bidirectional.js';
import { TimeDistributed } from '../layers/timeDistributed.js';
import type { Layer } from '../layers/layer.js';
import { lossFromConfig } from '../losses/index.js';
import { optimizerFromConfig } from '../optimizers/index.js';
import { dialectOf, layerToKeras, sequentialFromKeras, type KerasModelJSON } from '../io/config.js';
import { concatShards, decodeWeights, encodeWeights, matchWeights, type WeightEntry } from '../io/weights.js';

export const GENERATED_BY = 'rnnkit 0.1.0';

export interface WeightsGroup {
  paths: string[];
  weights: WeightEntry[];
}

/** model.json of the TF.js layers-model format. */
export interface ModelJSON {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: string | null;
  modelTopology: KerasModelJSON | { model_config: KerasModelJSON; keras_version?: string; backend?: string };
  weightsManifest: WeightsGroup[];
  trainingConfig?: TrainingConfig;
  userDefinedMetadata?: Record<string, unknown>;
}

export interface TrainingConfig {
  loss: unknown;
  metrics?: unknown;
  optimizer_config?: { class_name: string; config: Record<string, unknown> };
}

/** What save handlers receive and loadModel accepts in memory. */
export interface ModelArtifacts {
  modelJson: ModelJSON;
  weightData: ArrayBuffer;
}

export interface SaveOptions {
  /** Save the optimizer's configuration and state (moments, iteration count) so fit resumes exactly. Default false. */
  includeOptimizer?: boolean;
  /** JSON-safe data stored in model.json's userDefinedMetadata (e.g. a vocabulary); loadModel gives it back as model.metadata. */
  metadata?: Record<string, unknown>;
}

/** Stored path of each weight: layer/weight, with the sub-layer for wrappers (as tfjs names them). */
function weightPaths(layer: Layer): { key: string; layer: string; name: string }[] {
  if (layer instanceof Bidirectional) {
    return [layer.forwardLayer, layer.backwardLayer].flatMap((sub) => sub.weights.map((w) => ({ key: `${layer.name}/${sub.name}/${w.name}`, layer: layer.name, name: `${sub.name}/${w.name}` })));
  }
  if (layer instanceof TimeDistributed) {
    return layer.layer.weights.map((w) => ({ key: `${layer.name}/${layer.layer.name}/${w.name}`, layer: layer.name, name: `${layer.layer.name}/${w.name}` }));
  }
  return layer.weights.map((w) => ({ key: `${layer.name}/${w.name}`, layer: layer.name, name: w.name }));
}

/** Serialize a built model; `weightsPath` is the file name the manifest points at. */
export function modelToArtifacts(model: Sequential, options: SaveOptions, weightsPath: string): ModelArtifacts {
  if (!model.isBuilt) throw new RangeError(`${model.where}: save needs a built model; give the first layer an inputShape, or fit/predict first`);
  const entries: { name: string; shape: number[]; data: Float32Array }[] = [];
  for (const layer of model.layers) {
    const paths = weightPaths(layer);
    layer.weights.forEach((w, i) => entries.push({ name: paths[i]!.key, shape: [...w.shape], data: w.value }));
  }
  let trainingConfig: TrainingConfig | undefined;
  if (options.includeOptimizer) {
    const { optimizer, loss } = model;
    if (optimizer === null || loss === null) throw new RangeError(`${model.where}: includeOptimizer needs a compiled model`);
    const state = optimizer.getState();
    entries.push({ name: 'optimizer/iterations', shape: [1], data: Float32Array.of(state.iterations) });
    for (const [slot, values] of Object.entries(state.slots)) entries.push({ name: `optimizer/${slot}`, shape: [values.length], data: values });
    trainingConfig = {
      loss: { class_name: loss.className, config: loss.getConfig() },
      metrics: model.metricNames(),
      optimizer_config: { class_name: optimizer.className, config: optimizer.getConfig() },
    };
  }
  const { specs, data } = encodeWeights(entries.map((e) => ({ ...e, group: e.name.startsWith('optimizer/') ? 'optimizer' : undefined })));
  const first = model.layers[0]!;
  const layers = model.layers.map((l, i) => {
    const json = layerToKeras(l);
    if (i === 0 && json.config.batch_input_shape === undefined) json.config.batch_input_shape = [first.batchInputShape?.[0] ?? null, ...first.inputShape];
    return json;
  });
  const modelJson: ModelJSON = {
    format: 'layers-model',
    generatedBy: GENERATED_BY,
    convertedBy: null,
    modelTopology: { class_name: 'Sequential', config: { name: model.name, layers }, keras_version: GENERATED_BY, backend: 'rnnkit' },
    weightsManifest: [{ paths: [weightsPath], weights: specs }],
    ...(trainingConfig === undefined ? {} : { trainingConfig }),
    ...(options.metadata === undefined ? {} : { userDefinedMetadata: options.metadata }),
  };
  return { modelJson, weightData: data };
}

/** Parse model.json text, saying where it breaks. */
export function parseModelJson(text: string, where: string): ModelJSON {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // V8 gives a position for most errors but not for a bad token (NaN, a stray word) or a
    // truncated file, and other engines word it differently: find it ourselves then.
    const m = /position (\d+)/.exec((e as Error).message);
    const pos = m === null ? jsonErrorOffset(text) : Number(m[1]);
    const before = text.slice(0, pos).split('\n');
    const at = pos < 0 ? '' : ` at line ${before.length}, column ${before[before.length - 1]!.length + 1} (character ${pos})`;
    throw new ModelFormatError(`${where}: malformed JSON${at}: ${(e as Error).message}`);
  }
  return checkModelJson(json, where);
}

/** The checks on a parsed model.json (also for one handed over in memory). */
export function checkModelJson(json: unknown, where: string): ModelJSON {
  if (json === null || typeof json !== 'object') throw new ModelFormatError(`${where}: expected a JSON object`);
  const j = json as Partial<ModelJSON>;
  if (j.modelTopology === undefined) throw new ModelFormatError(`${where}: no modelTopology (is this a TF.js layers-model model.json?)`);
  if (j.format !== undefined && j.format !== 'layers-model') throw new ModelFormatError(`${where}: format '${String(j.format)}' is not supported; rnnkit reads 'layers-model' files`);
  if (!Array.isArray(j.weightsManifest)) throw new ModelFormatError(`${where}: weightsManifest is missing or not a list`);
  return j as ModelJSON;
}

const JSON_ATOM = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/** Offset of the first syntax error in JSON text (its length when the text ends early); −1 if none found. */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const string = (): void => {
    for (i++; i < text.length; i++) {
      if (text[i] === '"') return void i++;
      if (text[i] === '\\') i++;
      else if (text[i]! < ' ') fail();
    }
    fail();
  };
  const value = (): void => {
    ws();
    const open = text[i];
    if (open === '{' || open === '[') {
      const close = open === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (open === '{') {
          ws();
          if (text[i] !== '"') fail();
          string();
          ws();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (text[i] === close) return void i++;
        if (text[i] !== ',') fail();
        i++;
      }
    }
    if (open === '"') return string();
    JSON_ATOM.lastIndex = i;
    if (JSON_ATOM.exec(text) === null) fail();
    i = JSON_ATOM.lastIndex;
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (e) {
    return typeof e === 'number' ? e : -1; // e.g. nesting too deep for this recursive scan
  }
}

/** The paths of every shard in manifest order (relative to model.json). */
export function shardPaths(modelJson: ModelJSON): string[] {
  return modelJson.weightsManifest.flatMap((g) => g.paths);
}

/** Rebuild a model from artifacts; weights come from the data, initializers never run. */
export function modelFromArtifacts(modelJson: ModelJSON, shards: ArrayBuffer | ArrayBuffer[], where: string, makeModel: (name: string | undefined) => Sequential): Sequential {
  const raw = modelJson.modelTopology as Record<string, unknown>;
  const topology = (raw.model_config ?? raw) as KerasModelJSON;
  const dialect = dialectOf({ keras_version: raw.keras_version ?? topology.keras_version }, modelJson.generatedBy);
  const { name, layers } = sequentialFromKeras(topology, dialect, where);
  const first = layers[0]!;
  if (first.batchInputShape === null) throw new ModelFormatError(`${where}: the first layer declares no input shape (batch_input_shape)`);
  const model = makeModel(name);
  const seen = new Set<string>();
  for (const l of layers) {
    if (seen.has(l.name)) throw new ModelFormatError(`${where}: two layers are named '${l.name}'`);
    seen.add(l.name);
    model.layers.push(l);
  }
  model.buildFrom(first.batchInputShape.slice(1), false);

  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const data = Array.isArray(shards) ? concatShards(shards) : shards;
  const stored = decodeWeights(data, specs, where);
  const optimizerEntries = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, v] of stored) {
    if (k.startsWith('optimizer/')) {
      optimizerEntries.set(k.slice('optimizer/'.length), v);
      stored.delete(k);
    }
  }
  const expected = model.layers.flatMap((l) => {
    const paths = weightPaths(l);
    return l.weights.map((w, i) => ({ ...paths[i]!, shape: [...w.shape] }));
  });
  const values = matchWeights(expected, stored, where);
  model.setWeights(values.map((v, i) => new Tensor(v, expected[i]!.shape)));

  const meta = modelJson.userDefinedMetadata;
  if (meta !== undefined && meta !== null && typeof meta === 'object') model.metadata = meta;
  const tc = modelJson.trainingConfig;
  if (tc !== undefined && tc !== null) compileFromTrainingConfig(model, tc, optimizerEntries, where);
  return model;
}

function compileFromTrainingConfig(model: Sequential, tc: TrainingConfig, state: Map<string, { data: Float32Array }>, where: string): void {
  try {
    const loss =
      typeof tc.loss === 'string'
        ? tc.loss
        : lossFromConfig((tc.loss as { class_name: string }).class_name, ((tc.loss as { config?: Record<string, unknown> }).config ?? {}) as Record<string, unknown>);
    const oc = tc.optimizer_config;
    const optimizer = oc === undefined ? 'rmsprop' : optimizerFromConfig(oc.class_name, oc.config ?? {});
    const metrics = Array.isArray(tc.metrics) ? (tc.metrics as string[]) : [];
    model.compile({ optimizer, loss, metrics });
    if (state.size > 0 && typeof optimizer !== 'string') {
      const iterations = state.get('iterations')?.data[0] ?? 0;
      const slots: Record<string, Float32Array> = {};
      for (const [k, v] of state) if (k !== 'iterations') slots[k] = v.data;
      optimizer.setState({ iterations, slots });
    }
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`${where}: trainingConfig: ${(e as Error).message}`);
  }
}
