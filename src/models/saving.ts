/**
 * A model as TF.js layers-model artifacts — model.json (topology, weights manifest,
 * training config) plus the weight bytes (loading.ts reads them back). Runtime-neutral:
 * no file system here (io/node.ts writes and reads files; in browsers pass the
 * artifacts to your store).
 */
import { ModelFormatError, show } from '../core/errors.js';
import type { Model } from './model.js';
import type { Loss } from '../losses/index.js';
import type { Optimizer } from '../optimizers/index.js';
import type { KerasModelJSON } from '../io/config.js';
import { encodeWeights, type WeightEntry } from '../io/weights.js';
import { modelToKeras } from './topology.js';
import { metricToJson, type MetricJson } from '../metrics/index.js';
import { TFJS_ONLY_SLOT, notInTfjs, tfjsLossName, tfjsMetricName, tfjsOptimizer } from '../io/tfjsTraining.js';

/** Output o's compiled metrics as the training config writes them. */
function metricsJson(model: Model, o: number): (string | MetricJson)[] {
  const engine = model.engine;
  const spec = engine.outputs[o]!;
  const ctx = { predWidth: engine.cols(o), sparseTargets: spec.loss?.sparse ?? false };
  return spec.metrics.map((m) => metricToJson(m, ctx));
}

export const GENERATED_BY = 'rnnkit 0.2.0';

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

/**
 * model.json's trainingConfig. The top-level keys are in the form TensorFlow.js reads
 * (io/tfjsTraining.ts: names tfjs knows, tfjs's optimizer classes, or names it refuses);
 * `rnnkit` holds rnnkit's exact form, which loadModel prefers. Older rnnkit files have
 * only the top-level keys, in rnnkit's form; tfjs's own files only tfjs's.
 */
export interface TrainingConfig extends RnnkitTrainingConfig {
  rnnkit?: RnnkitTrainingConfig;
}

export interface RnnkitTrainingConfig {
  /** One loss, or per output (an object keyed by output name, or a list). */
  loss: unknown;
  metrics?: unknown;
  loss_weights?: unknown;
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

/**
 * The key of model.json's userDefinedMetadata holding a model's text inputs
 * (Model.setTextInput): [{input: index, name, vectorizer: TextVectorizer config}]. loadModel
 * restores them and leaves the key out of model.metadata.
 */
export const TEXT_INPUTS_KEY = 'rnnkitTextInputs';

/**
 * Serialize a built model; `weightsPath` is the file name the manifest points at. A copy for
 * worker threads leaves the text inputs out (`textInputs: false`): the texts are vectorized
 * before the batches are shared, and a vectorizer holding a function has no saved form.
 */
export function modelToArtifacts(model: Model, options: SaveOptions, weightsPath: string, textInputs = true): ModelArtifacts {
  if (!model.isBuilt) throw new RangeError(`${model.where}: save needs a built model; give the first layer an inputShape, or fit/predict first`);
  const paths = model.weightPaths();
  const entries: { name: string; shape: number[]; data: Float32Array }[] = model.weights.map((w, i) => ({ name: paths[i]!, shape: [...w.shape], data: w.value }));
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) throw new RangeError(`${model.where}: two weights would be saved as '${e.name}'; give the layers unique names`);
    seen.add(e.name);
  }
  let trainingConfig: TrainingConfig | undefined;
  if (options.includeOptimizer) {
    const { optimizer } = model;
    const compiled = model.compileConfig();
    if (optimizer === null || compiled === null) throw new RangeError(`${model.where}: includeOptimizer needs a compiled model`);
    const saved = trainingConfigOf(model, optimizer);
    trainingConfig = saved.config;
    entries.push(...saved.state);
  }
  const { specs, data } = encodeWeights(entries.map((e) => ({ ...e, group: e.name.startsWith('optimizer/') ? 'optimizer' : undefined })));
  const topology = modelToKeras(model);
  if (options.metadata !== undefined && TEXT_INPUTS_KEY in options.metadata) throw new RangeError(`${model.where}: save: metadata key '${TEXT_INPUTS_KEY}' is rnnkit's own (the model's text inputs); use another key`);
  const texts = textInputs ? model.textInputList().map(({ input, name, vectorizer }) => ({ input, name, vectorizer: vectorizer.getConfig() })) : [];
  const metadata = texts.length === 0 ? options.metadata : { ...options.metadata, [TEXT_INPUTS_KEY]: texts };
  const modelJson: ModelJSON = {
    format: 'layers-model',
    generatedBy: GENERATED_BY,
    convertedBy: null,
    modelTopology: { ...topology, keras_version: GENERATED_BY, backend: 'rnnkit' },
    weightsManifest: [{ paths: [weightsPath], weights: specs }],
    ...(trainingConfig === undefined ? {} : { trainingConfig }),
    ...(metadata === undefined ? {} : { userDefinedMetadata: metadata }),
  };
  return { modelJson, weightData: data };
}

/**
 * The training config (see TrainingConfig) and the optimizer's state as weights: the step
 * count first, then, where tfjs has the same optimizer, one entry per trainable weight for
 * each slot in tfjs's order (`optimizer/<slot>/<weight>`, what tfjs's setWeights takes);
 * otherwise each slot whole over the weight arena (`optimizer/<slot>`), as before.
 */
function trainingConfigOf(model: Model, optimizer: Optimizer): { config: TrainingConfig; state: { name: string; shape: number[]; data: Float32Array }[] } {
  const engine = model.engine;
  const outputs = engine.outputs;
  const single = outputs.length === 1;
  const perOutput = <T>(f: (i: number) => T): T | Record<string, T> => (single ? f(0) : Object.fromEntries(outputs.map((o, i) => [o.name, f(i)])));
  const lossJson = (l: Loss | null): unknown => (l === null ? null : { class_name: l.className, config: l.getConfig() });
  const own: TrainingConfig['rnnkit'] = {
    loss: perOutput((i) => lossJson(outputs[i]!.loss)),
    // names where a name rebuilds the metric, else {class_name, config} (a named or non-default metric object)
    metrics: perOutput((i) => metricsJson(model, i)),
    ...(single ? {} : { loss_weights: Object.fromEntries(outputs.map((o) => [o.name, o.weight])) }),
    optimizer_config: { class_name: optimizer.className, config: optimizer.getConfig() },
  };

  const tfLosses = outputs.map((o) => (o.loss === null ? null : tfjsLossName(o.loss)));
  const state = optimizer.getState();
  const tfjs = tfjsOptimizer(optimizer);
  let refused = 'refused' in tfjs ? tfjs.refused : null;
  const slotNames = Object.keys(state.slots);
  let live: { name: string; offset: number; size: number; shape: readonly number[] }[] = [];
  if (refused === null && slotNames.length > 0) {
    // The arena the slots index (planned by fit; planned here after a load without fit).
    engine.planArena();
    const flags = model.weightTrainable();
    const trainable = new Map(model.weightPaths().map((p, i) => [p, flags[i]!]));
    const segments = engine.segments;
    const frozen = segments.filter((s) => trainable.get(s.name) !== true);
    live = segments.filter((s) => trainable.get(s.name) === true);
    if (segments.some((s) => !trainable.has(s.name)) || slotNames.some((k) => state.slots[k]!.length !== engine.params.length)) refused = notInTfjs(optimizer.className, 'a state laid out otherwise');
    // tfjs keeps no state for frozen weights: state left there (trained, then frozen) would be lost.
    else if (frozen.some((s) => slotNames.some((k) => state.slots[k]!.subarray(s.offset, s.offset + s.size).some((v) => v !== 0)))) refused = notInTfjs(optimizer.className, 'state kept for frozen weights');
  }
  const entries: { name: string; shape: number[]; data: Float32Array }[] = [{ name: 'optimizer/iterations', shape: [1], data: Float32Array.of(state.iterations) }];
  if (refused === null && !('refused' in tfjs)) {
    if (slotNames.length > 0) {
      for (const slot of tfjs.slots) {
        for (const s of live) entries.push({ name: `optimizer/${slot ?? TFJS_ONLY_SLOT}/${s.name}`, shape: [...s.shape], data: slot === null ? new Float32Array(s.size) : state.slots[slot]!.slice(s.offset, s.offset + s.size) });
      }
    }
  } else {
    for (const [slot, values] of Object.entries(state.slots)) entries.push({ name: `optimizer/${slot}`, shape: [values.length], data: values });
  }
  const optimizerConfig = refused === null && !('refused' in tfjs)
    ? tfjs.config
    // a class tfjs does not have, so that tfjs refuses the file rather than train with another rule
    : { class_name: refused!, config: {} };
  const config: TrainingConfig = {
    loss: single ? tfLosses[0] : Object.fromEntries(outputs.flatMap((o, i) => (tfLosses[i] === null ? [] : [[o.name, tfLosses[i]]]))),
    metrics: perOutput((i) => outputs[i]!.metrics.map((m) => tfjsMetricName(m, tfLosses[i] ?? null, engine.cols(i)))),
    // tfjs refuses loss_weights ("not supported yet"): written only where they change the loss
    ...(outputs.some((o) => o.weight !== 1) ? { loss_weights: Object.fromEntries(outputs.map((o) => [o.name, o.weight])) } : {}),
    optimizer_config: optimizerConfig,
    rnnkit: own,
  };
  return { config, state: entries };
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

/** Deepest nesting of objects and lists a model.json may have (real ones stay under 20). */
export const MAX_DEPTH = 100;

/** Refuse JSON nested deeper than `max` (walked without recursion, so depth itself cannot overflow the stack). */
export function checkDepth(value: unknown, max: number, where: string): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= max) throw new ModelFormatError(`${where}: nested more than ${max} levels deep; not a model file rnnkit reads`);
    for (const child of Object.values(v as object)) if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
  }
}

/** The checks on a parsed model.json (also for one handed over in memory). */
export function checkModelJson(json: unknown, where: string): ModelJSON {
  if (json === null || typeof json !== 'object') throw new ModelFormatError(`${where}: expected a JSON object`);
  checkDepth(json, MAX_DEPTH, where); // first: printing or walking a deeper value would overflow the stack
  const j = json as Partial<ModelJSON>;
  if (j.modelTopology === undefined) {
    // Keras's model.to_json() (published beside a save_weights file as often as not): an
    // architecture without weights, which rnnkit reads only inside a full-model file.
    const k = json as { class_name?: unknown; config?: unknown };
    if (typeof k.class_name === 'string' && ['Sequential', 'Model', 'Functional'].includes(k.class_name) && k.config !== undefined) {
      throw new ModelFormatError(`${where}: a Keras architecture (model.to_json() of a ${k.class_name}), not a TF.js layers-model model.json: it holds no weights. Read it with modelFromJson (Keras's model_from_json), then its save_weights file with loadWeightsH5; or load the full-model file (model.save('model.h5') or '.keras')`);
    }
    throw new ModelFormatError(`${where}: no modelTopology (is this a TF.js layers-model model.json?)`);
  }
  if (j.format !== undefined && j.format !== 'layers-model') {
    // A graph model is a frozen TensorFlow graph (ops, not layers): say where the layers are.
    const hint =
      j.format === 'graph-model'
        ? " (a TF.js graph model holds TensorFlow ops, not Keras layers: convert the Keras model with tensorflowjs_converter --output_format=tfjs_layers_model, or export it to ONNX with tf2onnx, and load that)"
        : '';
    throw new ModelFormatError(`${where}: format ${typeof j.format === 'string' ? `'${j.format}'` : show(j.format)} is not supported; rnnkit reads 'layers-model' files${hint}`);
  }
  if (!Array.isArray(j.weightsManifest)) throw new ModelFormatError(`${where}: weightsManifest is missing or not a list`);
  if (j.modelTopology === null || typeof j.modelTopology !== 'object' || Array.isArray(j.modelTopology)) throw new ModelFormatError(`${where}: modelTopology must be an object, got ${j.modelTopology === null ? 'null' : typeof j.modelTopology}`);
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

