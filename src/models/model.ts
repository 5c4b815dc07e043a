/**
 * Model: a graph of layer calls from input tensors to output tensors, with Keras's
 * compile / fit / evaluate / predict (tfjs `tf.model({inputs, outputs})`, also
 * reachable as Functional). Sequential (sequential.ts) is a Model whose graph is a
 * chain: there is one engine, one training step and one save format for both.
 *
 * A Model is also a Layer: called on symbolic tensors inside another model, it runs
 * its own graph as one call (its weights become the outer model's).
 *
 * Where things live: the topology in graph.ts, the run-time passes in executor.ts,
 * arenas / losses / the training step in engine.ts, data checks in modelData.ts,
 * saving in saving.ts.
 */
import { Layer, PLAIN_CALL, releaseBuffers, type LayerWeight, type Shape } from '../layers/layer.js';
import { InputLayer, input } from '../layers/inputLayer.js';
import { NodeIO, type CallSpec, type SymbolicTensor } from '../layers/node.js';
import { Recurrent } from '../layers/recurrent.js';
import { Bidirectional } from '../layers/bidirectional.js';
import { Tensor, formatShape, type NestedArray } from '../core/tensor.js';
import { Rng, mixSeeds, nextSeed } from '../core/rng.js';
import { checkBoolean, checkNumberIn, checkOptions, checkPositiveInt, table, show } from '../core/errors.js';
import { getOptimizer, type Optimizer } from '../optimizers/index.js';
import { Loss, checkTrainable, getLoss } from '../losses/index.js';
import { checkMetricId, resolveMetric, type Metric } from '../metrics/index.js';
import { History, runHooks, yieldToEventLoop, type Callback, type FitParams, type Logs, type TrainableModel } from './callback.js';
import { ProgbarLogger, type ProgressSink } from './progbar.js';
import { gatherRows, sliceDataset, type Dataset } from './data.js';
import { Engine, weightNames, NonFiniteError } from './engine.js';
import { bucketOrder } from './trim.js';
import { Graph } from './graph.js';
import { attachWeights, checkDataset, checkInputs, splitByName, type Data, type DataModel, type PerName } from './modelData.js';
import { ParallelTrainer, checkWorkersOption, resolveShards, resolveThreads } from './workers/pool.js';
import { evaluateSplit, inferenceThreads, predictSplit, releaseReplicas } from './workers/persistent.js';
import { formatGraphSummary, formatSummary } from './summary.js';
import { Stream, type StreamPrecision } from './stream.js';
import { freeBuffer } from '../backend/kernels.js';
import { modelToArtifacts, type ModelArtifacts, type SaveOptions } from './saving.js';
import { saveToDirectory } from '../io/node.js';
import { TextVectorizer } from '../text/vectorizer.js';

/** Receives the artifacts of a save (store them anywhere). */
export type SaveHandler = (artifacts: ModelArtifacts) => unknown | Promise<unknown>;

export interface ModelArgs {
  /** The input tensor(s), from `input()`. */
  inputs: SymbolicTensor | readonly SymbolicTensor[];
  /** The output tensor(s): layer calls that depend on the inputs only. */
  outputs: SymbolicTensor | readonly SymbolicTensor[];
  /** Model name; default 'model', 'model_1', … */
  name?: string;
  /** Whether fit trains this model's weights (and, used as a layer, the outer model's fit). Default true. */
  trainable?: boolean;
}

type LossId = string | Loss;
type MetricId = string | Metric;

export interface CompileArgs {
  /** Optimizer name or object. Default 'rmsprop' (Keras). */
  optimizer?: string | Optimizer;
  /**
   * Loss name or object (required): one for every output, or per output as a list in
   * output order or an object keyed by output name (an output left out, or null, is
   * not trained).
   */
  loss: LossId | readonly (LossId | null)[] | Readonly<Record<string, LossId | null>>;
  /**
   * Metric names or objects; 'accuracy' resolves to binary/categorical/sparse from the
   * shapes. With several outputs a flat list applies to every output; or give a list
   * of lists (output order) or an object keyed by output name.
   */
  metrics?: MetricId | readonly MetricId[] | readonly (readonly MetricId[])[] | Readonly<Record<string, MetricId | readonly MetricId[]>>;
  /** Factor of each output's loss in the total: a list in output order or an object keyed by output name. Default 1 each. */
  lossWeights?: readonly number[] | Readonly<Record<string, number>>;
}

export type Verbosity = 0 | 1 | 2 | 'auto';

/** Texts for an input that takes them (Model.setTextInput): one string per sample, or one one-string list per sample. */
export type TextData = readonly string[] | readonly (readonly [string])[];

/** Data for several inputs or outputs: one value, a list in order, or an object keyed by name. */
export type ModelData = PerName<Tensor | NestedArray | TextData>;

export interface FitArgs {
  /** Index of the final epoch (Keras). Default 1. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Reshuffle the training samples every epoch. Default true. */
  shuffle?: boolean;
  /** Fraction of the samples, taken from the end before shuffling, held out for validation. Default 0. */
  validationSplit?: number;
  /** [x, y] (or [x, y, sampleWeight]) to validate on after each epoch; overrides validationSplit. */
  validationData?: readonly [ModelData, ModelData] | readonly [ModelData, ModelData, ModelData];
  /** Batch size for validation. Default batchSize. */
  validationBatchSize?: number;
  /** Validate every n epochs. Default 1. */
  validationFreq?: number;
  /** 0 silent, 1 progress bar, 2 one line per epoch. Default 1 ('auto'). */
  verbose?: Verbosity;
  /** Objects with onEpochEnd/onBatchEnd/… hooks. */
  callbacks?: Callback | readonly Callback[];
  /** Seed for shuffling; default drawn from the global seed (setSeed). */
  seed?: number;
  /** Epoch to start from (for resuming). Default 0. */
  initialEpoch?: number;
  /**
   * When to give the event loop a turn: 'auto' (after the batch that ends about 16 ms since
   * the last turn in browsers, 25 ms in Node), 'batch', 'epoch', 'never'. Default 'auto',
   * so a page stays responsive: the main thread is held at most one batch past 16 ms.
   */
  yieldEvery?: 'auto' | 'batch' | 'epoch' | 'never';
  /**
   * Cancels the fit: once aborted, fit stops at the next batch boundary (after the running
   * batch's update and its onBatchEnd hooks; onEpochEnd/onTrainEnd are not called) and
   * **rejects** with an Error named 'AbortError' (`err.name === 'AbortError'`, as fetch
   * does) whose `history` holds the epochs completed so far and `cause` the signal's reason.
   * The model stays consistent: its weights and optimizer state are those after the last
   * applied batch, so it can predict, be saved or be fit again. Worker threads stop with
   * fit. An already aborted signal rejects before any batch. The abort is seen when the
   * event loop gets a turn, so keep yieldEvery other than 'never' to stop from the same thread.
   */
  signal?: AbortSignal;
  /** Where progress goes; default stdout in Node, console.log in browsers. */
  progressSink?: ProgressSink;
  /** Per-sample weights [N], or per time step [N, T] for sequence outputs; per output for several (list or object). */
  sampleWeight?: ModelData;
  /** Weight per class index, e.g. {0: 1, 1: 5}; turned into sample weights from y (one target per sample). Per output for several. */
  classWeight?: Readonly<Record<number, number>> | readonly Readonly<Record<number, number>>[] | Readonly<Record<string, Readonly<Record<number, number>>>>;
  /**
   * Data-parallel training: how many shards each batch is cut into (1, n, or 'auto', the
   * default). Each batch is split into contiguous shards; each shard's gradient is computed
   * on its own replica of the model (Node worker_threads, or module Web Workers on a
   * cross-origin isolated page; the main thread computes shard 0), the gradients are combined
   * once per batch in shard order and the main thread applies the update: the same training
   * as one shard up to float rounding (same seed, same data order), except that each shard
   * draws its own dropout masks (same distribution).
   *
   * **Reproducible on any machine:** the shard count depends only on the model and the batch
   * shapes, never on the machine; the *threads* computing the shards are whatever the
   * machine and runtime offer (up to one per shard), and where there are fewer than shards
   * (one core, a browser page without isolation) the main thread computes the remaining
   * shards itself, on replicas built as a worker builds them. So the same seed, data, options
   * and backend give the same bits whatever the machine, and a fit resumed with
   * initialEpoch (on the same model object) trains exactly as an unbroken one.
   *
   * 'auto' (the default) cuts 1 shard wherever shards would train another model or a worker
   * could not rebuild it: stateful layers, trainable BatchNormalization (each shard would
   * normalise with its own batch's statistics), custom layer classes or losses, several
   * trained outputs whose losses would split unevenly. Otherwise it cuts up to 2 shards
   * (AUTO_MAX_SHARDS, whatever the cores) where each gets at least 8 rows of a batch and
   * an estimated max(10 MFLOP, 1000 × the parameter count) of training work per batch (the
   * 2-D weight matrices' multiply-adds ×6 per sample and step: 6·B·T·(I+H)·G·H for a
   * recurrent layer); e.g. LSTM(128) on [64, 50, 16] batches (1.4 GFLOP) gets 2 shards,
   * SimpleRNN(32) on [32, 10, 1] batches (2 MFLOP) 1. Its shards run on up to as many threads
   * as there are cores.
   *
   * workers: 1 is one shard on the main thread (no replica, no worker). An explicit n > 1
   * cuts n shards on n threads (n capped at batchSize) and is refused with an error naming
   * the reason where 'auto' would cut 1 shard, or where the runtime has no worker threads
   * with SharedArrayBuffer. In Node fit borrows the threads of the persistent worker pool
   * (workers/persistent.ts: started once, kept for later calls, unref'd); elsewhere
   * (browsers) its threads start when fit starts and are stopped when it ends, however it
   * ends. A failing thread makes fit reject with its message (and the pool starts afresh
   * next time).
   */
  workers?: number | 'auto';
  /**
   * Batch sequences of similar length (rnnkit's own option; Keras does this in tf.data with
   * bucket_by_sequence_length): each epoch's order is cut into chunks of 32 batches, each chunk
   * sorted by the sequences' unmasked length and its batches shuffled, so padding trimming cuts
   * each batch to about its own lines' length. Needs a model whose input is masked (Embedding
   * maskZero or Masking first). The order still depends only on (seed, epoch), so a resumed fit
   * (initialEpoch) trains as an unbroken one. Batches are less random: the loss curve changes.
   * Default false.
   */
  bucketByLength?: boolean;
}

export interface EvaluateArgs {
  /** Per-sample weights [N], or per time step [N, T]; per output for several. */
  sampleWeight?: ModelData;
  /** Default 32. */
  batchSize?: number;
  /** Default 1 (Keras prints one progress bar). */
  verbose?: Verbosity;
  progressSink?: ProgressSink;
  /**
   * Threads that share the batches (rnnkit's own option; tfjs has none), the main thread
   * included, or 'auto' (the default). In Node the persistent worker pool takes contiguous
   * runs of whole batches and the main thread adds their losses and metrics in batch order:
   * the same numbers as 1 thread. 'auto' splits only where the work pays for it (see
   * PredictArgs.workers) and only once the pool runs; an explicit n > 1 starts it (blocking)
   * and needs at least n batches. Browsers, stateful and custom layers: 1 thread ('auto') or
   * an error (n > 1).
   */
  workers?: number | 'auto';
}

export interface PredictArgs {
  /** Default 32. */
  batchSize?: number;
  /** Only 0: predict prints nothing. */
  verbose?: 0;
  /**
   * Threads that share the batches (rnnkit's own option; tfjs has none), the main thread
   * included, or 'auto' (the default). In Node the persistent worker pool (started once,
   * shared by every model, see startWorkers / shutdownWorkers) runs whole batches — the
   * batches one thread would run, in predict's length order — so the outputs equal one
   * thread's; with fewer batches than threads the rows are cut into smaller batches (equal
   * within float32 rounding). 'auto' uses t > 1 threads (≤ the cores) only where each gets
   * at least 8 rows and 100 MFLOP of estimated work (2·n·T·(I+H)·G·H for a recurrent layer),
   * and only once the pool is running: the first such call starts it in the background and
   * runs on one thread. An explicit n > 1 starts the pool (blocking) if needed. In browsers
   * the main thread cannot wait for workers: 'auto' is 1 there and n > 1 an error; stateful
   * layers (state carried from batch to batch) and custom layer classes likewise.
   */
  workers?: number | 'auto';
}

/** Mixed into an epoch's seed for bucketByLength's batch order (another stream than the epoch's shuffle). */
const BUCKET_SALT = 0x6275636b;

const FIT_LATER = {
  stepsPerEpoch: 'rnnkit trains on in-memory arrays, where every epoch is one pass over the data',
  validationSteps: 'validation always uses all of the validation data',
};

const COMPILE_LATER: Record<string, string> = table({
  weightedMetrics: 'metrics are averaged with masks only, not sample weights',
  runEagerly: 'rnnkit has no graph mode: every step already runs eagerly',
  stepsPerExecution: 'not needed: there is no per-step dispatch overhead to amortise',
  jitCompile: 'rnnkit has no compiler to switch',
  autoScaleLoss: 'mixed precision is not supported',
});

/** What compile was given, resolved per output once the graph exists. */
interface CompileState {
  optimizer: Optimizer;
  losses: (Loss | null)[];
  lossWeights: number[];
  metricIds: MetricId[][];
  /** The compile arguments as given (for the training config of a save). */
  lossArg: CompileArgs['loss'];
  metricsArg: CompileArgs['metrics'];
}

export class Model extends Layer implements TrainableModel, DataModel {
  readonly className: string = 'Model';
  /** userDefinedMetadata read by loadModel (what save's `metadata` option stored), else undefined. */
  metadata: Record<string, unknown> | undefined;
  /** Set to true (e.g. from a callback) to stop fit after the current batch. */
  stopTraining = false;
  protected graphOrNull: Graph | null = null;
  private engineOrNull: Engine | null = null;
  private compiled: CompileState | null = null;
  private unresolved: Pick<CompileArgs, 'loss' | 'metrics' | 'lossWeights'> | null = null;
  /** Output names, made unique (a layer giving two outputs names the second `name_1`). */
  private outNames: string[] = [];
  private nestedIO: NodeIO | null = null;
  /** Text inputs by input index (setTextInput). */
  private readonly textVectorizers = new Map<number, TextVectorizer>();

  constructor(args: ModelArgs) {
    const a = args ?? ({} as ModelArgs);
    super({ name: a.name, trainable: a.trainable }, 'model');
    checkOptions(a, ['inputs', 'outputs', 'name', 'trainable'], `Model '${this.name}'`);
    if (a.inputs === undefined || a.outputs === undefined) {
      // Sequential builds its own graph as layers arrive.
      if (new.target === Model) throw new TypeError(`Model '${this.name}': model({inputs, outputs}) needs both the input and the output tensors`);
      return;
    }
    const inputs = Array.isArray(a.inputs) ? [...(a.inputs as SymbolicTensor[])] : [a.inputs as SymbolicTensor];
    const outputs = Array.isArray(a.outputs) ? [...(a.outputs as SymbolicTensor[])] : [a.outputs as SymbolicTensor];
    this.setGraph(new Graph(inputs, outputs, this.where));
  }

  /** Install a graph: the model's layers, weights and shapes follow it. */
  protected setGraph(graph: Graph): void {
    const names = new Set<string>();
    for (const l of graph.layers) {
      if (names.has(l.name)) throw new RangeError(`${this.where}: two different layers are named '${l.name}'; layer names must be unique in a model`);
      names.add(l.name);
    }
    this.graphOrNull = graph;
    const previous = this.engineOrNull;
    this.engineOrNull = null;
    const seen = new Set<string>();
    this.outNames = graph.outputs.map((t) => {
      let n = t.sourceLayer.name;
      for (let k = 1; seen.has(n); k++) n = `${t.sourceLayer.name}_${k}`;
      seen.add(n);
      return n;
    });
    const weights = new Set<LayerWeight>();
    this.weights.length = 0;
    for (const l of graph.weightedLayers) for (const w of l.weights) if (!weights.has(w)) {
      weights.add(w);
      this.weights.push(w);
    }
    this.inShapes = graph.inputs.map((t) => t.shape.slice(1));
    this.outShapes = graph.outputs.map((t) => t.shape.slice(1));
    this.built = true;
    // The weights move into the engine's arenas now (backend memory: WebAssembly kernels read them in place).
    this.engine.planArena();
    // The previous graph's arenas were copied into the new ones: free them now, not when collected.
    if (previous !== null && previous.params !== this.engine.params) {
      freeBuffer(previous.params);
      freeBuffer(previous.grads);
    }
    if (this.unresolved !== null && this.compiled !== null) this.resolveCompile(this.compiled.optimizer, this.unresolved);
  }

  /** The graph (throws while a Sequential model has no input shape yet). */
  get graph(): Graph {
    if (this.graphOrNull === null) throw new RangeError(`${this.where}: the model is not built yet; give the first layer an inputShape, or fit/predict first`);
    return this.graphOrNull;
  }

  /** @internal The run-time network: arenas, batch buffers, the training step. */
  get engine(): Engine {
    const g = this.graph;
    if (this.engineOrNull === null || this.engineOrNull.graph !== g) {
      this.engineOrNull = new Engine(g);
      if (this.compiled !== null) this.applyCompile(this.engineOrNull);
    }
    return this.engineOrNull;
  }

  /** Every layer holding a Keras activity regularizer, nested models' and wrapped layers' included. */
  override activityRegularized(): Layer[] {
    const inner = this.layers.filter((l) => l !== this).flatMap((l) => l.activityRegularized());
    return this.activityRegularizer === undefined ? inner : [this, ...inner];
  }

  /**
   * An activity regularizer adds a penalty on a layer's output to the training loss (Keras
   * reports it in evaluate's loss too); rnnkit does not compute it, so training on or
   * reporting another loss than Keras's is refused rather than done silently.
   */
  private refuseActivityRegularizers(what: string): void {
    const held = this.activityRegularized();
    if (held.length === 0) return;
    throw new RangeError(`${this.where}: ${what}: ${held.map((l) => `${l.where} has option 'activity_regularizer' = ${JSON.stringify(l.activityRegularizer)}`).join('; ')}; rnnkit does not implement activity regularizers, which add a penalty on the layer's output to the loss (predict is unaffected and runs). Set layer.activityRegularizer = undefined to ${what} without it`);
  }

  /** Every layer, input layers first (Keras / tfjs order). */
  get layers(): Layer[] {
    return [...(this.graphOrNull?.layers ?? [])];
  }

  get inputs(): SymbolicTensor[] {
    return [...this.graph.inputs];
  }

  get outputs(): SymbolicTensor[] {
    return [...this.graph.outputs];
  }

  /** The input tensor (several: a list), as tfjs's model.input. */
  get input(): SymbolicTensor | SymbolicTensor[] {
    const i = this.inputs;
    return i.length === 1 ? i[0]! : i;
  }

  /** The output tensor (several: a list), as tfjs's model.output. */
  get output(): SymbolicTensor | SymbolicTensor[] {
    const o = this.outputs;
    return o.length === 1 ? o[0]! : o;
  }

  get inputNames(): string[] {
    return this.graph.inputs.map((t) => t.sourceLayer.name);
  }

  get outputNames(): string[] {
    this.graph;
    return [...this.outNames];
  }

  /** Error prefix for input i (DataModel). */
  inputWhere(i: number): string {
    return `input '${this.inputNames[i]}'`;
  }

  /**
   * Let an input take texts: strings given for it to predict, evaluate or fit go through the
   * vectorizer first (a list of texts, or of one-text lists as Keras's shape-(1,) string
   * input takes them); numbers given for it are read as before. This is what a Keras
   * TextVectorization at the front of a loaded model becomes. `input` is the input's name
   * or index (default: the first); `null` takes the text input away. The vectorizer's
   * output must fit the input: ids of outputSequenceLength (or any length for an input of
   * shape [null]) in 'int' mode, one vector as wide as the input otherwise. It is saved
   * with the model (model.json's userDefinedMetadata; a .keras file's TextVectorization).
   */
  setTextInput(vectorizer: TextVectorizer | null, input: string | number = 0): void {
    const at = `${this.where}: setTextInput`;
    const names = this.inputNames;
    const i = typeof input === 'number' ? input : names.indexOf(input);
    if (!Number.isInteger(i) || i < 0 || i >= names.length) throw new RangeError(`${at}: no input ${show(input)}; the model's inputs are ${names.map((n, k) => `${k} '${n}'`).join(', ')}`);
    if (vectorizer === null) {
      this.textVectorizers.delete(i);
      return;
    }
    if (!(vectorizer instanceof TextVectorizer)) throw new TypeError(`${at}: expected a TextVectorizer or null, got ${show(vectorizer)}`);
    const shape = this.graph.inputs[i]!.shape.slice(1);
    const where = `${at}: ${this.inputWhere(i)} has shape ${formatShape([null, ...shape])}`;
    if (shape.length !== 1) throw new RangeError(`${where}; a text input gives one row of ids or one vector per text`);
    if (vectorizer.outputMode === 'int') {
      const L = vectorizer.outputSequenceLength;
      if (shape[0] !== null && L !== shape[0]) throw new RangeError(`${where}, but the vectorizer gives ${L === null ? 'ids padded to the longest text (no outputSequenceLength)' : `${L} ids per text`}`);
    } else {
      const width = vectorizer.padToMaxTokens ? vectorizer.maxTokens : vectorizer.getVocabulary().length > 0 ? vectorizer.vocabularySize() : null;
      if (width !== null && shape[0] !== width) throw new RangeError(`${where}, but the vectorizer gives vectors of ${width} ('${vectorizer.outputMode}' over its vocabulary)`);
    }
    this.textVectorizers.set(i, vectorizer);
  }

  /** The vectorizer of each input that takes texts (setTextInput), by input name. */
  get textInputs(): Record<string, TextVectorizer> {
    return Object.fromEntries(this.textInputList().map((t) => [t.name, t.vectorizer]));
  }

  /** @internal Each input that takes texts, in input order (what summary and the writers list). */
  textInputList(): { input: number; name: string; vectorizer: TextVectorizer }[] {
    if (this.textVectorizers.size === 0) return [];
    const names = this.inputNames;
    return [...this.textVectorizers].sort((a, b) => a[0] - b[0]).map(([input, vectorizer]) => ({ input, name: names[input]!, vectorizer }));
  }

  /** @internal Input i's vectorizer (DataModel). */
  textInputOf(i: number): TextVectorizer | undefined {
    return this.textVectorizers.get(i);
  }

  /** Error prefix for output o (DataModel). */
  outputWhere(o: number): string {
    return this.graph.outputs[o]!.sourceLayer.where;
  }

  /** A layer by name, or by its index in `layers` (tfjs getLayer(name?, index?)). */
  getLayer(name?: string | number, index?: number): Layer {
    const layers = this.layers;
    const i = typeof name === 'number' ? name : name === undefined ? index : undefined;
    if (i !== undefined) {
      if (!Number.isInteger(i) || i < 0 || i >= layers.length) throw new RangeError(`${this.where}: getLayer: index ${i} is out of range; the model has ${layers.length} layers`);
      return layers[i]!;
    }
    const found = layers.find((l) => l.name === name);
    if (found === undefined) throw new RangeError(`${this.where}: no layer named ${JSON.stringify(name)}; layers: ${layers.map((l) => l.name).join(', ')}`);
    return found;
  }

  override get isBuilt(): boolean {
    return this.graphOrNull !== null;
  }

  get optimizer(): Optimizer | null {
    return this.compiled?.optimizer ?? null;
  }

  /** The loss of the first output (Sequential's only one), or null before compile. */
  get loss(): Loss | null {
    return this.compiled?.losses.find((l) => l !== null) ?? null;
  }

  // ---------------------------------------------------------------------------
  // compile

  /**
   * Set the optimizer, losses and metrics. Called while a fit runs (from a callback, say)
   * it is checked at once but takes effect when that fit settles, as in Keras (the running
   * fit keeps its optimizer, losses and metrics).
   */
  compile(args: CompileArgs): void {
    const optimizer = this.checkCompile(args);
    if (this.fitting) {
      this.pendingCompile = args;
      return;
    }
    this.unresolved = { loss: args.loss, metrics: args.metrics, lossWeights: args.lossWeights };
    this.compiled = { optimizer, losses: [], lossWeights: [], metricIds: [], lossArg: args.loss, metricsArg: args.metrics };
    if (this.graphOrNull !== null) this.resolveCompile(optimizer, this.unresolved);
  }

  /** compile's checks (names resolved now, so a typo fails at compile); returns the optimizer. */
  private checkCompile(args: CompileArgs): Optimizer {
    if (args === undefined || args === null || typeof args !== 'object') throw new TypeError(`${this.where}: compile expects {optimizer, loss, metrics}`);
    checkOptions(args, this.compileOptions(), `${this.where}: compile`, this.compileLater());
    if (args.loss === undefined) throw new RangeError(`${this.where}: compile needs a loss, e.g. loss: 'binaryCrossentropy'`);
    const optimizer = getOptimizer(args.optimizer ?? 'rmsprop');
    for (const id of flatLossIds(args.loss)) checkTrainable(getLoss(id), `${this.where}: compile`);
    for (const id of flatMetricIds(args.metrics)) checkMetricId(id);
    return optimizer;
  }

  /** A compile called during fit, applied when the fit settles. */
  private pendingCompile: CompileArgs | null = null;

  /** compile's options (Sequential takes no lossWeights). */
  protected compileOptions(): string[] {
    return ['optimizer', 'loss', 'metrics', 'lossWeights'];
  }

  protected compileLater(): Record<string, string> {
    return COMPILE_LATER;
  }

  /** Spread compile's loss, lossWeights and metrics over the outputs. */
  private resolveCompile(optimizer: Optimizer, a: Pick<CompileArgs, 'loss' | 'metrics' | 'lossWeights'>): void {
    const names = this.outNames;
    const what = `${this.where}: compile`;
    const lossOf = (v: unknown): Loss | null => (v === null || v === undefined ? null : getLoss(v as LossId));
    const isList = Array.isArray(a.loss);
    const losses = names.length === 1 && !isList && !isRecord(a.loss)
      ? [lossOf(a.loss)]
      : isList || isRecord(a.loss)
        ? splitByName<LossId>(a.loss, names, `${what}: loss`, () => true).map(lossOf)
        : names.map(() => lossOf(a.loss));
    if (losses.every((l) => l === null)) throw new RangeError(`${what}: no output has a loss`);
    let lossWeights = names.map(() => 1);
    if (a.lossWeights !== undefined) {
      lossWeights = splitByName<number>(a.lossWeights, names, `${what}: lossWeights`, () => true).map((w, o) => {
        if (w === undefined) return 1;
        return checkNumberIn(w, 0, Infinity, `${what}: lossWeights['${names[o]}']`);
      });
    }
    const metricIds = spreadMetrics(a.metrics, names, what);
    this.compiled = { ...this.compiled!, optimizer, losses, lossWeights, metricIds };
    if (this.engineOrNull !== null) this.applyCompile(this.engineOrNull);
  }

  /** Hand the compiled losses and metrics to an engine (metrics resolved for the output shapes). */
  private applyCompile(engine: Engine): void {
    const c = this.compiled!;
    engine.optimizer = c.optimizer;
    engine.outputs = this.outNames.map((name, o) => {
      const loss = c.losses[o] ?? null;
      const cols = engine.cols(o);
      const ids = c.metricIds[o] ?? [];
      const metrics = ids.map((id) => resolveMetric(id, { predWidth: cols, sparseTargets: loss?.sparse ?? false }));
      return { name, loss, weight: c.lossWeights[o] ?? 1, metrics };
    });
    const instances = engine.outputs.flatMap((s) => s.metrics);
    if (new Set(instances).size !== instances.length) throw new RangeError(`${this.where}: compile: one Metric object cannot serve several outputs (each keeps its own running mean); pass a name, or one object per output`);
  }

  private requireCompiled(what: string): CompileState {
    if (this.compiled === null) throw new RangeError(`${this.where}: call compile({optimizer, loss}) before ${what}`);
    return this.compiled;
  }

  /** The compiled metrics' names as given (for saving the training config). */
  metricNames(): string[] {
    // a metric read from a saved {class_name, config} is named by its config
    return flatMetricIds(this.compiled?.metricsArg).map((m) => (typeof m === 'string' ? m : (m.name ?? String((m as { config?: { name?: unknown } }).config?.name ?? ''))));
  }

  /** The compile arguments as given (saving writes them to the training config). */
  compileConfig(): { loss: CompileArgs['loss']; metrics: CompileArgs['metrics']; lossWeights: number[] } | null {
    const c = this.compiled;
    return c === null ? null : { loss: c.lossArg, metrics: c.metricsArg, lossWeights: c.lossWeights };
  }

  /** Log keys evaluate's numbers belong to, in order: loss, the outputs' losses (several outputs), then metrics. */
  get metricsNames(): string[] {
    const engine = this.engine;
    const multi = engine.outputs.length > 1;
    const keys = ['loss'];
    if (multi) for (const s of engine.outputs) if (s.loss !== null) keys.push(`${s.name}_loss`);
    for (const s of engine.outputs) for (const m of s.metrics) keys.push(`${multi ? `${s.name}_` : ''}${m.name}`);
    return keys;
  }

  // ---------------------------------------------------------------------------
  // data

  /** Build from the data when the model has no graph yet (Sequential); a functional model always has one. */
  protected buildForData(_x: unknown, _what: string): void {}

  /** 32, or the batch size of a stateful model (the only size it can take), once declared or fixed. */
  protected defaultBatchSize(): number {
    for (const l of this.recurrentLayers()) if (l.stateful && l.statefulBatchSize > 0) return l.statefulBatchSize;
    return 32;
  }

  /** The recurrent layers the graph runs (inside Bidirectional too). */
  private recurrentLayers(): Recurrent[] {
    const out: Recurrent[] = [];
    for (const l of this.graphOrNull?.weightedLayers ?? []) {
      const inner = l instanceof Bidirectional ? l.forwardLayer : l;
      if (inner instanceof Recurrent) out.push(inner);
    }
    return out;
  }

  /**
   * Stateful layers carry state from one batch to the next, so every batch must have
   * the declared size: check before the first batch rather than fail in the middle.
   */
  private checkStatefulBatches(batchSize: number, n: number, what: string): void {
    for (const l of this.graphOrNull?.weightedLayers ?? []) {
      const inner = l instanceof Bidirectional ? l.forwardLayer : l;
      if (!(inner instanceof Recurrent) || !inner.stateful) continue;
      const sb = inner.statefulBatchSize;
      if (sb === 0 && n % batchSize !== 0) {
        throw new RangeError(`${l.where}: stateful, so every batch must have one size (the first batch's, ${batchSize}); ${what} has ${n} samples, not a multiple of ${batchSize}`);
      }
      if (sb !== 0 && (batchSize !== sb || n % sb !== 0)) {
        throw new RangeError(
          `${l.where}: stateful, built for batches of ${sb} samples; ${what} needs batchSize ${sb} and a sample count divisible by it (got batchSize ${batchSize}, ${n} samples)`,
        );
      }
    }
  }

  private dataset(x: unknown, y: unknown, what: string): Dataset {
    this.buildForData(x, what);
    const { fromTexts, ...ds } = checkDataset(this, this.engine.outputs.map((s) => s.loss), x, y, what);
    return { ...ds, ragged: this.raggedInputs(fromTexts, ds.xLen) };
  }

  // ---------------------------------------------------------------------------
  // fit / evaluate / predict

  /**
   * Train on (x, y); see FitArgs. Resolves to the History.
   *
   * - One fit at a time per model: while a fit runs (until its Promise settles), another
   *   `fit`, `evaluate` or `dispose` on the same model is refused with an Error (they would
   *   share its batch buffers and optimizer state); await the running fit first. A `compile`
   *   meanwhile is checked at once and takes effect when the fit settles, as in Keras.
   *   `predict` (and `stream`, `getWeights`, `save`) stay allowed meanwhile, e.g. from a
   *   callback: they see the weights after the last applied batch.
   * - A step whose loss, gradients, or updated weights or optimizer state would be NaN or
   *   ±Infinity is not applied: fit rejects with an Error named 'NonFiniteError' naming the
   *   epoch, the batch and the first bad value (the loss, or a weight and its index), and the
   *   weights and optimizer state are those from before that batch. (With TerminateOnNaN the
   *   batch logs a NaN loss and fit ends normally instead, with the same weights.)
   * - With `signal`, an abort rejects with an Error named 'AbortError' (see FitArgs.signal).
   */
  async fit(x: ModelData, y: ModelData, args: FitArgs = {}): Promise<History> {
    this.refuseActivityRegularizers('fit');
    return this.holdingFitLock('fit', () => this.fitOnce(x, y, args));
  }

  /**
   * @internal Run a training job (fit, trainInWorker) as the one fit allowed at a time on
   * this model: refused while another runs; fit/evaluate/dispose/add are refused until it
   * settles, and a compile meanwhile waits for it.
   */
  async holdingFitLock<T>(what: string, job: () => Promise<T>): Promise<T> {
    this.refuseWhileFitting(what);
    this.fitting = true;
    try {
      return await job();
    } finally {
      this.fitting = false;
      const pending = this.pendingCompile;
      this.pendingCompile = null;
      if (pending !== null) this.compile(pending);
    }
  }

  /** Whether a fit is running (between its call and its settling). */
  private fitting = false;

  /**
   * One fit at a time per model: a second fit, an evaluate or a compile while one runs would
   * share (or replace) its batch buffers, losses and optimizer state. predict stays allowed:
   * it runs between the training steps and fit sets its batch up again at each step.
   */
  protected refuseWhileFitting(what: string): void {
    if (this.fitting) {
      throw new Error(`${this.where}: ${what} refused: fit is already running on this model; wait for it (await the running fit) before calling ${what}${what === 'fit' ? ' again' : ''} (predict is allowed meanwhile)`);
    }
  }

  private async fitOnce(x: ModelData, y: ModelData, args: FitArgs): Promise<History> {
    checkOptions(
      args,
      ['epochs', 'batchSize', 'shuffle', 'validationSplit', 'validationData', 'validationBatchSize', 'validationFreq', 'verbose', 'callbacks', 'seed', 'initialEpoch', 'yieldEvery', 'progressSink', 'sampleWeight', 'classWeight', 'workers', 'signal', 'bucketByLength'],
      `${this.where}: fit`,
      FIT_LATER,
    );
    const { optimizer } = this.requireCompiled('fit');
    const epochs = args.epochs === undefined ? 1 : checkPositiveInt(args.epochs, 'fit: epochs');
    const initialEpoch = args.initialEpoch === undefined ? 0 : checkNonNegativeInt(args.initialEpoch, 'fit: initialEpoch');
    const validationFreq = args.validationFreq === undefined ? 1 : checkPositiveInt(args.validationFreq, 'fit: validationFreq');
    const shuffle = args.shuffle ?? true;
    if (typeof shuffle !== 'boolean') throw new RangeError(`fit: shuffle must be true or false${shuffle === 'batch' ? " ('batch' is not supported)" : ''}, got ${show(shuffle)}`);
    const verbose = checkVerbose(args.verbose ?? 'auto', 'fit');
    const yieldEvery = args.yieldEvery ?? 'auto';
    if (!['auto', 'batch', 'epoch', 'never'].includes(yieldEvery)) throw new RangeError(`fit: yieldEvery must be 'auto', 'batch', 'epoch' or 'never', got ${show(yieldEvery)}`);
    if (args.seed !== undefined) checkNonNegativeInt(args.seed, 'fit: seed');
    const workers = args.workers === undefined ? 'auto' : checkWorkersOption(args.workers);
    const signal = args.signal;
    const bucketByLength = args.bucketByLength === undefined ? false : checkBoolean(args.bucketByLength, 'fit: bucketByLength');
    if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean')) throw new TypeError(`fit: signal must be an AbortSignal, got ${show(signal)}`);

    const all = this.dataset(x, y, 'fit');
    const batchSize = args.batchSize === undefined ? this.defaultBatchSize() : checkPositiveInt(args.batchSize, 'fit: batchSize');
    const validationBatchSize = args.validationBatchSize === undefined ? batchSize : checkPositiveInt(args.validationBatchSize, 'fit: validationBatchSize');
    const engine = this.engine;
    const losses = engine.outputs.map((s) => s.loss);
    attachWeights(this, all, losses, args.sampleWeight, args.classWeight, 'fit');
    let train = all;
    let val: Dataset | null = null;
    if (args.validationData !== undefined) {
      const vd = args.validationData;
      if (!Array.isArray(vd) || (vd.length !== 2 && vd.length !== 3)) throw new TypeError('fit: validationData must be [xVal, yVal] or [xVal, yVal, sampleWeightVal]');
      val = this.dataset(vd[0], vd[1], 'fit: validationData');
      if (vd.length === 3) attachWeights(this, val, losses, vd[2], undefined, 'fit: validationData');
    } else if (args.validationSplit !== undefined && args.validationSplit !== 0) {
      const split = checkNumberIn(args.validationSplit, 0, 1, 'fit: validationSplit', { hiOpen: true });
      const splitAt = validationSplitAt(all.n, split);
      if (splitAt === 0 || splitAt === all.n) {
        throw new RangeError(`fit: validationSplit ${split} of ${all.n} samples leaves ${splitAt === 0 ? 'no training' : 'no validation'} samples`);
      }
      train = sliceDataset(all, 0, splitAt);
      val = sliceDataset(all, splitAt, all.n);
    }

    engine.planArena();
    engine.refreshTrainable(this.trainable);
    optimizer.build(engine.params.length, engine.segments);
    engine.collectWeightRules();
    this.checkStatefulBatches(batchSize, train.n, 'fit');
    if (val !== null) this.checkStatefulBatches(validationBatchSize, val.n, 'fit (validation)');
    engine.planBatches(train, batchSize);
    if (val !== null) engine.planBatches(val, validationBatchSize);
    const lengths = bucketByLength ? engine.sampleLengths(train) : null;
    if (bucketByLength && lengths === null) {
      throw new RangeError(`${this.where}: fit: bucketByLength needs a model whose padding can be trimmed: a sequence input read by Embedding({maskZero: true}) or Masking, whose steps reach the outputs only through layers that respect the mask`);
    }

    const history = new History();
    // As in Keras: the progress bar first, History last (so it records what callbacks add to the logs).
    const cbs: Callback[] = [];
    if (verbose !== 0) cbs.push(new ProgbarLogger(verbose, args.progressSink));
    const user = args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks as Callback];
    cbs.push(...user, history);
    const steps = Math.ceil(train.n / batchSize);
    const params: FitParams = { epochs, initialEpoch, steps, samples: train.n, batchSize, verbose };
    for (const cb of cbs) {
      cb.setModel?.(this);
      cb.setParams?.(params);
    }
    const wantsBatchLogs = cbs.some((cb) => cb.onBatchEnd !== undefined || cb.onBatchBegin !== undefined);
    const fitSeed = args.seed ?? nextSeed();
    const order = new Int32Array(train.n);
    const nOut = engine.outputs.length;
    const weighted = train.sw.map((w) => w !== null);
    const outSums = new Float64Array(nOut);
    // The shard count follows the model and the batch shapes (it sets the gradient's float sums);
    // the thread count follows the machine and never changes the bits.
    const shards = resolveShards(workers, this, batchSize, train.xLen);
    const threads = await resolveThreads(workers, shards);
    const pool = shards > 1 ? await ParallelTrainer.start(this, shards, threads, train, batchSize, fitSeed) : null;

    try {
      if (signal?.aborted) throw abortError(this.where, signal, history, initialEpoch, 0);
      this.stopTraining = false;
      await runHooks(cbs, (cb) => cb.onTrainBegin?.({}));
      let lastYield = performance.now();
      for (let epoch = initialEpoch; epoch < epochs && !this.stopTraining; epoch++) {
        await runHooks(cbs, (cb) => cb.onEpochBegin?.(epoch, {}));
        // Each epoch's order depends only on (seed, epoch), as a fresh permutation, so a
        // run resumed with initialEpoch shuffles exactly as an unbroken one.
        for (let i = 0; i < train.n; i++) order[i] = i;
        if (shuffle) new Rng(mixSeeds(fitSeed, epoch)).shuffle(order);
        if (lengths !== null) bucketOrder(order, lengths, batchSize, shuffle ? new Rng(mixSeeds(mixSeeds(fitSeed, epoch), BUCKET_SALT)) : null);
        // Dropout masks too: each layer reseeds from (its seed, fit seed, epoch).
        engine.executor.beginEpoch(fitSeed, epoch);
        engine.resetMetrics();
        let lossSum = 0;
        outSums.fill(0);
        let seen = 0;
        for (let step = 0; step < steps; step++) {
          // Every step: a predict between steps (allowed during fit) sets the time lengths to its own,
          // and a model built meanwhile on these layers (an inference graph) moved the weights into its arena.
          engine.setBatchLengths(train.xLen, train.ragged);
          engine.keepArena();
          const start = step * batchSize;
          const B = Math.min(batchSize, train.n - start);
          if (wantsBatchLogs) await runHooks(cbs, (cb) => cb.onBatchBegin?.(step, { batch: step, size: B }));
          for (let k = 0; k < train.x.length; k++) gatherRows(engine.xb[k]!, train.x[k]!.data, order, start, B, train.xWidth[k]!);
          for (let o = 0; o < nOut; o++) {
            const yo = train.y[o];
            if (yo !== null && yo !== undefined) gatherRows(engine.yb[o]!, yo.data, order, start, B, train.yWidth[o]!);
            const sw = train.sw[o];
            if (sw !== null && sw !== undefined) gatherRows(engine.swb[o]!, sw, order, start, B, train.swWidth[o]!);
          }
          // A step whose loss or gradient is not finite is refused before the update
          // (engine.applyGradients). Its batch logs still go to the callbacks (TerminateOnNaN
          // stops the fit as in Keras, but with the weights from before the batch); otherwise
          // fit rejects, naming the batch.
          let refused: NonFiniteError | null = null;
          try {
            if (pool === null) engine.trainStep(B, train.swWidth, weighted);
            else await pool.step(B, epoch);
          } catch (e) {
            if (!(e instanceof NonFiniteError)) throw e;
            refused = e;
          }
          lossSum += engine.stepLoss[0]! * B;
          for (let o = 0; o < nOut; o++) outSums[o] += engine.outputLoss[o]! * B;
          seen += B;
          if (wantsBatchLogs) {
            // A refused step logs a non-finite loss (NaN when only a gradient was), so TerminateOnNaN sees it.
            const refusedLoss = Number.isFinite(engine.stepLoss[0]!) ? NaN : engine.stepLoss[0]!;
            const logs = engine.logs(refused === null ? lossSum / seen : refusedLoss, outSums.map((v) => v / seen), '');
            await runHooks(cbs, (cb) => cb.onBatchEnd?.(step, logs));
          }
          if (refused !== null && !this.stopTraining) {
            throw new NonFiniteError(
              `${this.where}: fit stopped at epoch ${epoch + 1}, batch ${step + 1} of ${steps}: ${refused.message}; this batch was not applied, so the weights and the optimizer state are those from before it (a lower learning rate, clipnorm, or checking the data for NaN usually helps)`,
            );
          }
          if (this.stopTraining) break;
          if (signal?.aborted) throw abortError(this.where, signal, history, epoch, step + 1);
          if (yieldEvery === 'batch' || (yieldEvery === 'auto' && performance.now() - lastYield > AUTO_YIELD_MS)) {
            await yieldToEventLoop();
            lastYield = performance.now();
          }
        }
        const logs = engine.logs(lossSum / seen, outSums.map((v) => v / seen), '');
        if (val !== null && (epoch + 1 - initialEpoch) % validationFreq === 0) Object.assign(logs, engine.evaluateDataset(val, validationBatchSize, 'val_'));
        await runHooks(cbs, (cb) => cb.onEpochEnd?.(epoch, logs));
        if (yieldEvery !== 'never') {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      }
      // Keras's fit ends with optimizer.finalize_variable_values before onTrainEnd: with useEma
      // the moving average becomes the weights (also after early stopping).
      optimizer.finalizeVariableValues(engine.params);
      await runHooks(cbs, (cb) => cb.onTrainEnd?.({}));
    } finally {
      await pool?.close();
    }
    return history;
  }

  /**
   * Loss and metrics on (x, y): `[loss, ...metrics]` in compile order; with several
   * outputs `[loss, ...each output's loss, ...each output's metrics]` (see metricsNames).
   */
  evaluate(x: ModelData, y: ModelData, args: EvaluateArgs = {}): number[] {
    this.refuseWhileFitting('evaluate');
    this.refuseActivityRegularizers('evaluate');
    checkOptions(args, ['batchSize', 'verbose', 'progressSink', 'sampleWeight', 'workers'], `${this.where}: evaluate`, { steps: 'evaluate always uses all of the data' });
    const workers = args.workers === undefined ? 'auto' : checkWorkersOption(args.workers, `${this.where}: evaluate`);
    this.requireCompiled('evaluate');
    const verbose = checkVerbose(args.verbose ?? 'auto', 'evaluate');
    const ds = this.dataset(x, y, 'evaluate');
    const batchSize = args.batchSize === undefined ? this.defaultBatchSize() : checkPositiveInt(args.batchSize, 'evaluate: batchSize');
    this.checkStatefulBatches(batchSize, ds.n, 'evaluate');
    const engine = this.engine;
    attachWeights(this, ds, engine.outputs.map((s) => s.loss), args.sampleWeight, undefined, 'evaluate');
    engine.collectWeightRules();
    engine.planBatches(ds, batchSize);
    let bar: ProgbarLogger | null = null;
    const steps = Math.ceil(ds.n / batchSize);
    if (verbose !== 0) {
      bar = new ProgbarLogger(verbose, args.progressSink);
      bar.setParams({ epochs: 1, initialEpoch: 0, steps, samples: ds.n, batchSize, verbose });
      bar.onEpochBegin(0);
    }
    const onBatch = bar === null ? undefined : (s: number, l: Logs): void => bar.onBatchEnd(s, l);
    const threads = inferenceThreads(workers, this, ds.n, steps, ds.xLen, 'evaluate', ds.ragged.length > 0);
    const logs = threads > 1 ? evaluateSplit(this, workers, threads, ds, batchSize, '', onBatch) : engine.evaluateDataset(ds, batchSize, '', onBatch);
    bar?.onEpochEnd(0, logs);
    return this.metricsNames.map((k) => logs[k]!);
  }

  /** Model outputs for x, batch by batch, inference mode: one Tensor, or a list in output order for several outputs. */
  predict(x: ModelData, args: PredictArgs = {}): Tensor {
    checkOptions(args, ['batchSize', 'verbose', 'workers'], `${this.where}: predict`, { steps: 'predict always uses all of the data' });
    const workers = args.workers === undefined ? 'auto' : checkWorkersOption(args.workers, `${this.where}: predict`);
    if (args.verbose !== undefined && args.verbose !== 0) throw new RangeError(`predict: verbose ${show(args.verbose)} is not supported; predict prints nothing`);
    this.buildForData(x, 'predict');
    const { x: xs, xLen, n, fromTexts } = checkInputs(this, x, 'predict');
    const batchSize = args.batchSize === undefined ? this.defaultBatchSize() : checkPositiveInt(args.batchSize, 'predict: batchSize');
    this.checkStatefulBatches(batchSize, n, 'predict');
    const engine = this.engine;
    const xData = xs.map((t) => t.data);
    const xWidth = xs.map((t) => t.size / n);
    const ragged = this.raggedInputs(fromTexts, xLen);
    const threads = inferenceThreads(workers, this, n, Math.ceil(n / batchSize), xLen, 'predict', ragged.length > 0);
    const results = threads > 1 ? predictSplit(this, workers, threads, xData, xWidth, xLen, n, batchSize, ragged) : engine.predict(xData, xWidth, xLen, n, batchSize, ragged);
    const shapes = this.graph.concreteShapes(xLen);
    const outs = this.graph.outputs.map((t, o) => new Tensor(results[o]!, [n, ...(shapes[this.graph.indexOf(t)] as number[])]));
    return (outs.length === 1 ? outs[0]! : outs) as unknown as Tensor;
  }

  /**
   * The text inputs padded batch by batch, as Keras pads them: given as texts, vectorized to ids
   * of open length ('int' mode, no outputSequenceLength), which Keras's TextVectorization pads
   * to each batch's longest text (ragged to_tensor), and where that padding changes the
   * results (no Embedding maskZero that trimming can follow, trim.ts). Only where every output's
   * shape is the same for any text length (a sequence output would differ from batch to batch).
   * A stateful layer carries its state from one cut batch to the next, as in Keras. The engine
   * cuts them per batch (Engine.cutRagged), in predict, evaluate and fit; predict and evaluate
   * split whole batches across threads, fit cuts each batch before splitting it into shards
   * (workers/pool.ts).
   */
  private raggedInputs(fromTexts: readonly boolean[], xLen: readonly number[]): number[] {
    const engine = this.engine;
    const open = fromTexts.flatMap((given, k) => {
      const v = this.textInputOf(k);
      return given && v !== undefined && v.outputMode === 'int' && v.outputSequenceLength === null && !engine.paddingInert(k) ? [k] : [];
    });
    if (open.length === 0) return [];
    const now = this.graph.concreteShapes(xLen);
    const longer = this.graph.concreteShapes(xLen.map((t, k) => (open.includes(k) ? t + 1 : t)));
    return this.graph.outputs.every((t) => now[this.graph.indexOf(t)]!.join() === longer[this.graph.indexOf(t)]!.join()) ? open : [];
  }

  /**
   * Streaming inference: a Stream feeds one step (or chunk) at a time and carries
   * every recurrent layer's state between calls (O(1) work per step). `precision: 'int8'`
   * runs an Embedding → LSTM → Dense(softmax) model's recurrent product in 8-bit weights
   * (wasm backend; see Stream.precision).
   */
  stream(args: { batchSize?: number; precision?: StreamPrecision } = {}): Stream {
    checkOptions(args, ['batchSize', 'precision'], `${this.where}: stream`);
    return new Stream(this, args.batchSize === undefined ? 1 : checkPositiveInt(args.batchSize, 'stream: batchSize'), args.precision);
  }

  /** Zero the carried state of every stateful recurrent layer (Keras reset_states). */
  resetStates(): void {
    const runners = this.graphOrNull === null ? [] : this.engine.executor.runners;
    for (const l of runners) (l as { resetStates?: () => void }).resetStates?.();
  }

  // ---------------------------------------------------------------------------
  // weights, summary, save

  override countParams(): number {
    return this.weights.reduce((n, w) => n + w.value.length, 0);
  }

  /** All weights, layer by layer in Keras order, as Tensors (copies); a shared layer's once. */
  override getWeights(): Tensor[] {
    return this.weights.map((w) => new Tensor(w.value.slice(), w.shape));
  }

  /** Set all weights, in getWeights() order. Every tensor is checked (shape, finite values) before any is written. */
  override setWeights(weights: readonly Tensor[]): void {
    this.checkWeights(weights);
    this.eachLayerShare(weights, (l, share) => l.setWeights(share));
  }

  /** @internal setWeights's checks for every layer's share, writing nothing. */
  override checkWeights(weights: readonly Tensor[]): void {
    if (this.graphOrNull === null) throw new RangeError(`${this.where}: setWeights before the model is built; give the first layer an inputShape or call build()`);
    if (!Array.isArray(weights) || weights.length !== this.weights.length) {
      throw new RangeError(`${this.where}: setWeights expected ${this.weights.length} tensors, got ${Array.isArray(weights) ? weights.length : typeof weights}`);
    }
    this.eachLayerShare(weights, (l, share) => l.checkWeights(share));
  }

  /** Each weighted layer (once) with its slice of a getWeights()-ordered list. */
  private eachLayerShare(weights: readonly Tensor[], fn: (l: Layer, share: Tensor[]) => void): void {
    let i = 0;
    const done = new Set<Layer>();
    for (const l of this.graph.weightedLayers) {
      if (done.has(l)) continue;
      done.add(l);
      fn(l, weights.slice(i, i + l.weights.length));
      i += l.weights.length;
    }
  }

  override weightPaths(): string[] {
    const names = weightNames(this.graphOrNull?.weightedLayers ?? []);
    return this.weights.map((w) => names.get(w)!);
  }

  /** Each weight's trainability: this model's flag and its inner layers' own. */
  override weightTrainable(): boolean[] {
    const flags = new Map<LayerWeight, boolean>();
    for (const l of this.graphOrNull?.weightedLayers ?? []) l.weightTrainable().forEach((t, i) => flags.set(l.weights[i]!, t && (flags.get(l.weights[i]!) ?? true)));
    return this.weights.map((w) => this.trainable && flags.get(w)!);
  }

  /** Print (and return) Keras's summary table (with "Connected to" for a graph model). */
  summary(printFn: (line: string) => void = (line) => console.log(line)): string {
    const texts = this.textInputList().map(({ name, vectorizer: v }) => {
      const out = v.outputMode === 'int' ? (v.outputSequenceLength === null ? 'ids padded to the longest text' : `${v.outputSequenceLength} ids per text`) : `'${v.outputMode}' vectors`;
      return ` Text input '${name}': ${v.name} (TextVectorization: ${v.getVocabulary().length} vocabulary entries, ${out})`;
    });
    const text = [this.formatSummaryText(), ...texts].join('\n');
    printFn(text);
    return text;
  }

  protected formatSummaryText(): string {
    const g = this.graph;
    const optimizer = this.compiled !== null && this.compiled.optimizer.numStateValues() > 0 ? this.compiled.optimizer.numStateValues() : null;
    return formatGraphSummary(this.name, g, this.trainableCounts(), optimizer);
  }

  protected trainableCounts(): { trainable: number; nonTrainable: number } {
    let trainable = 0;
    let nonTrainable = 0;
    const seen = new Set<LayerWeight>();
    for (const l of this.graphOrNull?.weightedLayers ?? []) {
      for (const w of l.weights) {
        if (seen.has(w)) continue;
        seen.add(w);
        if (this.trainable && l.trainable && w.trainable) trainable += w.value.length;
        else nonTrainable += w.value.length;
      }
    }
    return { trainable, nonTrainable };
  }

  /**
   * Save in the TF.js layers-model format: to a directory (Node path or file:// URL:
   * model.json + weights .bin, written atomically), or to a handler that receives
   * {modelJson, weightData} in any runtime. includeOptimizer keeps the optimizer state
   * so fit on the loaded model continues exactly.
   */
  async save(target: string | SaveHandler, options: SaveOptions = {}): Promise<void> {
    checkOptions(options, ['includeOptimizer', 'metadata'], `${this.where}: save`);
    if (typeof target === 'function') {
      await target(modelToArtifacts(this, options, 'weights.bin'));
      return;
    }
    if (typeof target !== 'string') throw new TypeError(`${this.where}: save expects a directory path, a file:// URL, or a handler function`);
    if (/^https?:\/\//.test(target)) throw new TypeError(`${this.where}: saving to ${target} is not supported; save to a directory or pass a handler that uploads {modelJson, weightData}`);
    if (target.endsWith('.keras')) {
      // A Keras 3 file (io/kerasFileWrite.ts, loaded on demand): it has no place for these two.
      if (options.includeOptimizer) throw new RangeError(`${this.where}: save: includeOptimizer is not supported for a .keras file (rnnkit writes the model uncompiled, without optimizer state); save to a directory for that`);
      if (options.metadata !== undefined) throw new RangeError(`${this.where}: save: metadata is not supported for a .keras file (Keras 3's format has no place for it); save to a directory for that`);
      const { saveKerasFile } = await import('../io/kerasFileWrite.js');
      await saveKerasFile(this, target);
      return;
    }
    await saveToDirectory(
      target,
      (weightsFile) => {
        const a = modelToArtifacts(this, options, weightsFile);
        return { json: JSON.stringify(a.modelJson), weights: a.weightData };
      },
      `${this.where}: save`,
    );
  }

  // ---------------------------------------------------------------------------
  // a Model as a layer of another model

  protected override sublayers(): readonly Layer[] {
    return this.graph.weightedLayers;
  }

  /**
   * This model again for another call inside an outer graph: the same calls replayed on
   * fresh inputs, so every inner layer gets a twin of its own (same weights, own caches).
   */
  override twin(): Layer {
    const g = this.graph;
    const copies = new Map<SymbolicTensor, SymbolicTensor>();
    g.inputs.forEach((t) => {
      const l = t.sourceLayer as InputLayer;
      copies.set(t, input({ batchShape: t.shape, name: l.name, dtype: l.inputDtype }));
    });
    for (const n of g.nodes) {
      const ins = n.inputs.map((t) => copies.get(t)!);
      const main = ins.slice(0, n.mainCount);
      const states = ins.slice(n.mainCount);
      const out = n.layer.apply(main.length === 1 ? main[0]! : main, { ...n.call.args, ...(states.length > 0 ? { initialState: states } : {}) }) as SymbolicTensor | SymbolicTensor[];
      (Array.isArray(out) ? out : [out]).forEach((t, j) => copies.set(n.outputs[j]!, t));
    }
    const copy = new Model({ inputs: g.inputs.map((t) => copies.get(t)!), outputs: g.outputs.map((t) => copies.get(t)!), name: this.name, trainable: this.trainable });
    if (copy.weights.length !== this.weights.length || copy.weights.some((w, i) => w !== this.weights[i])) throw new Error(`${this.where}: a copy for another call does not share every weight`);
    return copy;
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return this.computeOutputShapes([inputShape], PLAIN_CALL)[0]!;
  }

  override computeOutputShapes(inputShapes: readonly Shape[], call: CallSpec): Shape[] {
    const g = this.graph;
    if (call.stateCount > 0) throw new RangeError(`${this.where}: a model takes no initialState`);
    if (inputShapes.length !== g.inputs.length) throw new RangeError(`${this.where}: takes ${g.inputs.length} input${g.inputs.length > 1 ? 's' : ''}, got ${inputShapes.length}`);
    inputShapes.forEach((s, i) => {
      const want = g.inputs[i]!.shape.slice(1);
      if (s.length !== want.length || !s.every((d, k) => want[k] === null || d === null || d === want[k])) {
        throw new RangeError(`${this.inputWhere(i)} of ${this.where}: expected input of shape ${formatShape([null, ...want])}, got ${formatShape([null, ...s])}`);
      }
    });
    // A dry run of the inner calls' shape rules for these inputs.
    const shapes: Shape[] = g.tensors.map(() => []);
    g.inputs.forEach((_, k) => (shapes[k] = inputShapes[k]!));
    for (const n of g.nodes) {
      const outs = n.runner.computeOutputShapes(n.inputs.map((t) => shapes[g.indexOf(t)]!), n.call);
      n.outputs.forEach((t, j) => (shapes[g.indexOf(t)] = outs[j]!));
    }
    return g.outputs.map((t) => shapes[g.indexOf(t)]!);
  }

  protected createWeights(): void {}

  /** The time length of an input is the size of its first axis, whatever the rank (the inner graph tells the layers). */
  override inputTime(sampleShape: readonly number[]): number {
    return sampleShape[0] ?? 1;
  }

  override forwardNode(io: NodeIO): void {
    const ex = this.engine.executor;
    for (let k = 0; k < io.xs.length; k++) ex.setInput(k, io.xs[k]!, io.xTime[k]!, io.xMasks[k]!);
    ex.forward(io.B, io.training);
    for (let o = 0; o < io.ys.length; o++) {
      const t = ex.outputTensor(o);
      io.ys[o] = ex.buf[t]!;
      io.yTime[o] = ex.len[t]!;
      io.yMasks[o] = ex.mask[t]!;
    }
  }

  override backwardNode(io: NodeIO): void {
    const ex = this.engine.executor;
    ex.beginBackward();
    for (let o = 0; o < io.dys.length; o++) ex.seedOutput(o, io.dys[o]!);
    let need = false;
    for (let k = 0; k < io.needDx.length; k++) if (io.needDx[k] === 1) need = true;
    ex.backward(need);
    for (let k = 0; k < io.dxs.length; k++) io.dxs[k] = io.needDx[k] === 1 ? ex.inputGradient(k) : null;
  }

  forward(x: Float32Array, B: number, T: number, training: boolean, mask: Float32Array | null): Float32Array {
    const io = (this.nestedIO ??= new NodeIO(1, 1));
    io.B = B;
    io.training = training;
    io.xs[0] = x;
    io.xTime[0] = T;
    io.xMasks[0] = mask;
    this.forwardNode(io);
    return io.ys[0]!;
  }

  backward(dy: Float32Array, B: number, _T: number, needDx: boolean): Float32Array | null {
    const io = this.nestedIO!;
    io.B = B;
    io.dys[0] = dy;
    io.needDx[0] = needDx ? 1 : 0;
    this.backwardNode(io);
    return io.dxs[0]!;
  }

  override beginEpoch(fitSeed: number, epoch: number): void {
    this.engine.executor.beginEpoch(fitSeed, epoch);
  }

  override getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable };
  }

  /**
   * Free the model's backend memory now — weights, gradients, optimizer state, every
   * layer's buffers — instead of when it is collected (WebAssembly blocks of a dropped
   * model return only between event-loop turns, so a loop that never yields needs this).
   * Afterwards every use of the model throws "… was disposed"; layers it shares with
   * another model are freed with it. Calling it again does nothing.
   */
  override dispose(): void {
    if (this.isDisposed) return;
    this.refuseWhileFitting('dispose');
    const engine = this.engineOrNull;
    const layers = new Set<Layer>([...this.layers, ...(engine?.executor.runners ?? [])]);
    releaseReplicas(this); // its replicas in the worker pool
    super.dispose(); // the weighted layers, and this model's own buffers
    for (const l of layers) l.dispose();
    if (engine !== null) {
      releaseBuffers(engine);
      releaseBuffers(engine.executor);
      engine.optimizer?.dispose();
    }
    this.compiled?.optimizer.dispose();
    const gone = (): never => {
      throw new Error(`${this.where} was disposed; build or load the model again`);
    };
    for (const name of ['graph', 'engine', 'layers', 'inputs', 'outputs']) Object.defineProperty(this, name, { get: gone, configurable: true });
    const self = this as unknown as Record<string, unknown>;
    for (const name of ['fit', 'save']) Object.defineProperty(this, name, { value: () => Promise.reject(new Error(`${this.where} was disposed; build or load the model again`)), configurable: true });
    for (const name of ['compile', 'evaluate', 'predict', 'stream', 'resetStates', 'countParams', 'getWeights', 'setWeights', 'summary', 'add', 'build', 'buildFrom']) {
      if (typeof self[name] === 'function') Object.defineProperty(this, name, { value: gone, configurable: true });
    }
  }
}

/** Build a graph model (tfjs spelling `tf.model({inputs, outputs})`). */
export function model(args: ModelArgs): Model {
  return new Model(args);
}

/** Keras 3's name for a graph model. */
export const Functional = Model;

/** A plain object keyed by output name (not a Loss object). */
function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Loss);
}

function flatLossIds(loss: CompileArgs['loss']): LossId[] {
  if (Array.isArray(loss)) return (loss as (LossId | null)[]).filter((l): l is LossId => l !== null && l !== undefined);
  if (typeof loss === 'string' || loss instanceof Loss) return [loss as LossId];
  if (loss !== null && typeof loss === 'object') return Object.values(loss as Record<string, LossId | null>).filter((l): l is LossId => l !== null && l !== undefined);
  return [loss as LossId];
}

function flatMetricIds(metrics: CompileArgs['metrics']): MetricId[] {
  if (metrics === undefined || metrics === null) return [];
  if (typeof metrics === 'string' || isMetric(metrics)) return [metrics as MetricId];
  if (Array.isArray(metrics)) return (metrics as unknown[]).flatMap((m) => (Array.isArray(m) ? (m as MetricId[]) : [m as MetricId]));
  return Object.values(metrics as Record<string, MetricId | MetricId[]>).flatMap((m) => (Array.isArray(m) ? m : [m]));
}

function isMetric(v: unknown): v is Metric {
  return v !== null && typeof v === 'object' && typeof (v as Metric).update === 'function' && typeof (v as Metric).result === 'function';
}

/** Metric ids per output: a flat list for every output, a list of lists in output order, or an object by name. */
function spreadMetrics(metrics: CompileArgs['metrics'], names: readonly string[], what: string): MetricId[][] {
  if (metrics === undefined || metrics === null) return names.map(() => []);
  if (typeof metrics === 'string' || isMetric(metrics)) return names.map(() => [metrics as MetricId]);
  if (Array.isArray(metrics)) {
    const nested = metrics.length > 0 && metrics.every((m) => Array.isArray(m));
    if (!nested) return names.map(() => [...(metrics as MetricId[])]);
    if (metrics.length !== names.length) throw new RangeError(`${what}: metrics as a list of lists needs one list per output (${names.length}), got ${metrics.length}`);
    return (metrics as MetricId[][]).map((m) => [...m]);
  }
  const perName = splitByName<MetricId | MetricId[]>(metrics, names, `${what}: metrics`, () => true);
  return perName.map((m) => (m === undefined ? [] : Array.isArray(m) ? [...m] : [m]));
}

function checkNonNegativeInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new RangeError(`${what} must be a non-negative integer, got ${show(v)}`);
  return v;
}

function checkVerbose(v: unknown, what: string): 0 | 1 | 2 {
  if (v === 'auto') return 1;
  if (v === 0 || v === 1 || v === 2) return v;
  throw new RangeError(`${what}: verbose must be 0, 1, 2 or 'auto', got ${show(v)}`);
}

export type { Data, Logs };
export { formatSummary, InputLayer };

/** fit's 'auto' yield interval: one 60 Hz frame in browsers; a little longer in Node. */
const AUTO_YIELD_MS = typeof (globalThis as { document?: unknown }).document === 'object' ? 16 : 25;

/** fit's rejection when its signal is aborted: an Error named 'AbortError' carrying the history so far. */
function abortError(where: string, signal: AbortSignal, history: History, epoch: number, batches: number): Error & { history: History } {
  const err = new Error(`${where}: fit aborted at epoch ${epoch + 1} after ${batches} batch${batches === 1 ? '' : 'es'} of it; the weights are those after the last applied batch`, { cause: signal.reason }) as Error & { history: History };
  err.name = 'AbortError';
  err.history = history;
  return err;
}

/**
 * Where fit's validationSplit cuts n samples: the first `validationSplitAt(n, split)` train, the
 * rest (taken from the end, as Keras takes them) validate. The CLIs print their held-out count from it.
 */
export function validationSplitAt(n: number, split: number): number {
  return Math.floor(n * (1 - split));
}
