/**
 * Sequential: a stack of layers with Keras's compile / fit / evaluate / predict.
 *
 * Once built, every weight of every layer lives in two flat Float32Arrays (values and
 * gradients) that the optimizer updates in one pass; layers keep views into them.
 * A training step is: zero the gradient arena, forward through the layers, fused
 * loss value + gradient, backward through the layers in reverse, one optimizer
 * update, metric accumulation — with every buffer planned before the first step,
 * so steady-state training allocates nothing.
 */
import { Layer, uniqueName, type Shape } from '../layers/layer.js';
import { Recurrent } from '../layers/recurrent.js';
import { Bidirectional } from '../layers/bidirectional.js';
import { Tensor, type NestedArray } from '../core/tensor.js';
import { Rng, mixSeeds, nextSeed } from '../core/rng.js';
import { checkOptions, checkPositiveInt, checkNumberIn } from '../core/errors.js';
import { getOptimizer, type Optimizer } from '../optimizers/index.js';
import { getLoss, type Loss } from '../losses/index.js';
import { resolveMetric, type Metric } from '../metrics/index.js';
import { History, runHooks, yieldToEventLoop, type Callback, type FitParams, type TrainableModel } from './callbacks.js';
import { ProgbarLogger, type ProgressSink } from './progbar.js';
import { formatSummary } from './summary.js';
import { Stream } from './stream.js';
import { checkedTensor, formatShape, gatherRows, sameShape, sliceDataset, type Dataset } from './data.js';
import { Engine } from './engine.js';
import { ParallelTrainer, checkWorkersOption, resolveThreads } from './workers/pool.js';
import { modelToArtifacts, type ModelArtifacts, type SaveOptions } from './saving.js';
import { saveToDirectory } from '../io/node.js';

/** Receives the artifacts of a save (store them anywhere). */
export type SaveHandler = (artifacts: ModelArtifacts) => unknown | Promise<unknown>;
import { classWeightsToSampleWeights, sampleWeightTensor } from './sampleWeights.js';

export interface SequentialArgs {
  /** Layers to add, in order. */
  layers?: Layer[];
  /** Model name; default 'sequential', 'sequential_1', … */
  name?: string;
}

export interface CompileArgs {
  /** Optimizer name or object. Default 'rmsprop' (Keras). */
  optimizer?: string | Optimizer;
  /** Loss name or object (required). */
  loss: string | Loss;
  /** Metric names or objects; 'accuracy' resolves to binary/categorical/sparse from the shapes. */
  metrics?: string | Metric | readonly (string | Metric)[];
}

export type Verbosity = 0 | 1 | 2 | 'auto';

export interface FitArgs {
  /** Index of the final epoch (Keras). Default 1. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Reshuffle the training samples every epoch. Default true. */
  shuffle?: boolean;
  /** Fraction of the samples, taken from the end before shuffling, held out for validation. Default 0. */
  validationSplit?: number;
  /** [x, y] to validate on after each epoch; overrides validationSplit. */
  validationData?: readonly [Tensor | NestedArray, Tensor | NestedArray];
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
  /** When to give the event loop a turn: 'auto' (about every 25 ms), 'batch', 'epoch', 'never'. Default 'auto'. */
  yieldEvery?: 'auto' | 'batch' | 'epoch' | 'never';
  /** Where progress goes; default stdout in Node, console.log in browsers. */
  progressSink?: ProgressSink;
  /** Per-sample weights [N], or per time step [N, T] for sequence outputs. */
  sampleWeight?: Tensor | NestedArray;
  /** Weight per class index, e.g. {0: 1, 1: 5}; turned into sample weights from y (2-D targets only). */
  classWeight?: Readonly<Record<number, number>>;
  /**
   * Data-parallel training: the number of threads that compute each batch, the main
   * thread included (2 = the main thread + 1 worker thread), or 'auto'. Default 1 (no
   * worker threads). With n > 1 each batch is split into n contiguous shards, each
   * thread computes its shard's gradient on its own replica of the model (Node
   * worker_threads, or module Web Workers on a cross-origin isolated page), the
   * gradients are combined once per batch and the main thread applies the update:
   * the same training as with 1 thread up to float rounding (same seed, same data
   * order), except that each shard draws its own dropout masks (same distribution).
   * Threads start when fit starts and are stopped when it ends, however it ends; a
   * failing thread makes fit reject with its message. Stateful layers, custom losses
   * and runtimes without worker threads or SharedArrayBuffer reject n > 1; n above
   * batchSize is capped to it.
   *
   * 'auto' picks n > 1 only where it should win: the most threads, up to the machine's
   * cores, such that every thread gets at least 8 rows of a batch and an estimated
   * max(10 MFLOP, 1000 × the parameter count) of training work per batch (the 2-D weight
   * matrices' multiply-adds ×6 per sample and step: 6·B·T·(I+H)·G·H for a recurrent
   * layer), against a per-batch synchronisation of a few hundredths of a millisecond
   * plus a few ns per parameter; otherwise (and wherever n > 1 is refused) 1. E.g.
   * LSTM(128) on [64, 50, 16] batches (1.4 GFLOP) gets 2 threads on 2 cores;
   * SimpleRNN(32) on [32, 10, 1] batches (2 MFLOP) stays on 1.
   */
  workers?: number | 'auto';
}

export interface EvaluateArgs {
  /** Per-sample weights [N], or per time step [N, T]. */
  sampleWeight?: Tensor | NestedArray;
  /** Default 32. */
  batchSize?: number;
  /** Default 1 (Keras prints one progress bar). */
  verbose?: Verbosity;
  progressSink?: ProgressSink;
}

export interface PredictArgs {
  /** Default 32. */
  batchSize?: number;
  /** Only 0: predict prints nothing. */
  verbose?: 0;
}

const FIT_LATER = {
  stepsPerEpoch: 'rnnkit trains on in-memory arrays, where every epoch is one pass over the data',
  validationSteps: 'validation always uses all of the validation data',
};

const COMPILE_LATER = {
  lossWeights: 'a Sequential model has a single output',
  weightedMetrics: 'metrics are averaged with masks only, not sample weights',
  runEagerly: 'rnnkit has no graph mode: every step already runs eagerly',
  stepsPerExecution: 'not needed: there is no per-step dispatch overhead to amortise',
  jitCompile: 'rnnkit has no compiler to switch',
  autoScaleLoss: 'mixed precision is not supported',
};

export class Sequential implements TrainableModel {
  readonly name: string;
  readonly layers: Layer[] = [];
  /** userDefinedMetadata read by loadModel (what save's `metadata` option stored), else undefined. */
  metadata: Record<string, unknown> | undefined;
  /** Set to true (e.g. from a callback) to stop fit after the current batch. */
  stopTraining = false;
  optimizer: Optimizer | null = null;
  loss: Loss | null = null;
  private metricIds: (string | Metric)[] = [];
  private metricsFor = -1; // output width the metrics were resolved for
  private built = false;
  /** @internal The run-time network: arenas, batch buffers, the training step. */
  readonly engine = new Engine(this.layers);

  constructor(args: SequentialArgs = {}) {
    checkOptions(args, ['layers', 'name'], 'Sequential');
    this.name = args.name ?? uniqueName('sequential');
    for (const layer of args.layers ?? []) this.add(layer);
  }

  get where(): string {
    return `Sequential '${this.name}'`;
  }

  /** Append a layer. With a known input shape the model is built at once, as in Keras. */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw new TypeError(`${this.where}: add expects a layer (e.g. layers.dense({units: 1})), got ${String(layer)}`);
    if ((layer as { returnState?: boolean }).returnState === true) {
      throw new RangeError(`${layer.where}: returnState is not usable inside a Sequential model (the layer returns several tensors); call layer.apply() directly`);
    }
    if (this.layers.some((l) => l.name === layer.name)) throw new RangeError(`${this.where}: a layer named '${layer.name}' is already in the model; layer names must be unique`);
    if (this.layers.length > 0 && layer.batchInputShape !== null && !this.built) {
      throw new RangeError(`${layer.where}: inputShape is only meaningful on the first layer of a Sequential model`);
    }
    this.layers.push(layer);
    const first = this.layers[0]!;
    if (this.built) {
      this.buildFrom(first.inputShape);
    } else if (first.batchInputShape !== null) {
      this.buildFrom(first.batchInputShape.slice(1));
    }
  }

  /** Build every layer for a per-sample input shape (no batch axis). */
  build(inputShape?: Shape): void {
    if (inputShape === undefined) {
      const declared = this.layers[0]?.batchInputShape;
      if (declared === null || declared === undefined) throw new RangeError(`${this.where}: build needs an input shape: give the first layer inputShape, or pass one to build()`);
      inputShape = declared.slice(1);
    }
    this.buildFrom(inputShape);
  }

  /** @internal initialize false: leave the weights zero for a loader to fill. */
  buildFrom(inputShape: Shape, initialize = true): void {
    if (this.layers.length === 0) throw new RangeError(`${this.where}: the model has no layers; add some with model.add()`);
    let shape = inputShape;
    for (const layer of this.layers) {
      layer.build(shape, initialize);
      shape = layer.outputShape;
    }
    this.built = true;
    this.engine.planArena();
  }

  get isBuilt(): boolean {
    return this.built;
  }

  /** The compiled metrics' names as given (for saving the training config). */
  metricNames(): string[] {
    return this.metricIds.map((m) => (typeof m === 'string' ? m : m.name));
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
    await saveToDirectory(
      target,
      (weightsFile) => {
        const a = modelToArtifacts(this, options, weightsFile);
        return { json: JSON.stringify(a.modelJson), weights: a.weightData };
      },
      `${this.where}: save`,
    );
  }

  /** Per-sample input shape (after build). */
  get inputShape(): Shape {
    return this.layers[0]?.inputShape ?? [];
  }

  /** Per-sample output shape (after build). */
  get outputShape(): Shape {
    return this.layers[this.layers.length - 1]?.outputShape ?? [];
  }

  compile(args: CompileArgs): void {
    if (args === undefined || args === null || typeof args !== 'object') throw new TypeError(`${this.where}: compile expects {optimizer, loss, metrics}`);
    checkOptions(args, ['optimizer', 'loss', 'metrics'], `${this.where}: compile`, COMPILE_LATER);
    if (args.loss === undefined) throw new RangeError(`${this.where}: compile needs a loss, e.g. loss: 'binaryCrossentropy'`);
    this.optimizer = getOptimizer(args.optimizer ?? 'rmsprop');
    this.loss = getLoss(args.loss);
    this.engine.optimizer = this.optimizer;
    this.engine.loss = this.loss;
    const m = args.metrics ?? [];
    this.metricIds = typeof m === 'string' || !Array.isArray(m) ? [m as string | Metric] : [...(m as (string | Metric)[])];
    // Resolve names now so a typo fails at compile; 'accuracy' is re-resolved once shapes are known.
    for (const id of this.metricIds) resolveMetric(id, { predWidth: 2, sparseTargets: false });
    this.metricsFor = -1;
  }

  private requireCompiled(what: string): { loss: Loss; optimizer: Optimizer } {
    if (this.loss === null || this.optimizer === null) throw new RangeError(`${this.where}: call compile({optimizer, loss}) before ${what}`);
    return { loss: this.loss, optimizer: this.optimizer };
  }

  /** Check x (and y) against the model, building it from x's shape if needed. */
  private dataset(xIn: Tensor | NestedArray, yIn: Tensor | NestedArray, what: string, loss: Loss): Dataset {
    const x = checkedTensor(xIn, `${what}: x`);
    const y = checkedTensor(yIn, `${what}: y`);
    this.checkInput(x, what);
    const n = x.shape[0]!;
    if (y.rank === 0 || y.shape[0] !== n) {
      throw new RangeError(`${what}: x and y must have the same number of samples; x has ${n} (shape ${formatShape(x.shape)}), y has ${y.rank === 0 ? 'none' : y.shape[0]} (shape ${formatShape(y.shape)})`);
    }
    const T = this.layers[0]!.inputTime(x.shape.slice(1));
    const out = this.outputShape.map((d) => (d === null ? T : d));
    const cols = out[out.length - 1]!;
    const rows = out.length === 2 ? out[0]! : 1;
    const ySample = y.shape.slice(1);
    const last = this.layers[this.layers.length - 1]!;
    const fits = loss.sparse
      ? sameShape(ySample, out.slice(0, -1)) || sameShape(ySample, [...out.slice(0, -1), 1])
      : sameShape(ySample, out) || (cols === 1 && sameShape(ySample, out.slice(0, -1)));
    if (!fits) {
      const want = loss.sparse ? `class indices of shape ${formatShape([null, ...out.slice(0, -1)])}` : `targets of shape ${formatShape([null, ...out])}`;
      throw new RangeError(`${what}: y has shape ${formatShape(y.shape)}, but the model output (${last.where}) has shape ${formatShape([null, ...out])} and loss '${loss.name}' needs ${want}`);
    }
    loss.validateTargets(y.data, n * rows, cols, `${what}: y`);
    return { x, y, n, T, xWidth: x.size / Math.max(1, n), yWidth: loss.sparse ? rows : rows * cols, sw: null, swWidth: 1 };
  }

  private checkInput(x: Tensor, what: string): void {
    if (this.layers.length === 0) throw new RangeError(`${this.where}: the model has no layers; add some with model.add() before ${what}`);
    if (x.rank < 2) throw new RangeError(`${what}: x must have a batch axis and at least one feature axis, got shape ${formatShape(x.shape)}`);
    if (x.shape[0] === 0) throw new RangeError(`${what}: x has no samples (shape ${formatShape(x.shape)})`);
    if (x.rank === 3 && x.shape[1] === 0) throw new RangeError(`${what}: x has time length 0 (shape ${formatShape(x.shape)})`);
    const first = this.layers[0]!;
    const expected = this.built ? first.inputShape : first.batchInputShape?.slice(1);
    if (expected !== undefined && !sameShape([null, ...expected], x.shape)) {
      throw new RangeError(`${first.where}: expected input of shape ${formatShape([null, ...expected])}, got ${formatShape(x.shape)} in ${what}`);
    }
    const declaredBatch = first.batchInputShape?.[0];
    if (declaredBatch !== null && declaredBatch !== undefined && x.shape[0]! % declaredBatch !== 0) {
      throw new RangeError(`${first.where}: the model was declared with batchSize ${declaredBatch}, but ${what} got ${x.shape[0]} samples`);
    }
    if (!this.built) this.buildFrom(x.shape.slice(1));
  }

  /**
   * Stateful layers carry state from one batch to the next, so every batch must have
   * the declared size: check before the first batch rather than fail in the middle.
   */
  /** 32, or the declared batch size of a stateful model (the only size it can take). */
  private defaultBatchSize(): number {
    for (const l of this.layers) {
      const inner = l instanceof Bidirectional ? l.forwardLayer : l;
      if (inner instanceof Recurrent && inner.stateful) return inner.statefulBatchSize;
    }
    return 32;
  }

  private checkStatefulBatches(batchSize: number, n: number, what: string): void {
    for (const l of this.layers) {
      const inner = l instanceof Bidirectional ? l.forwardLayer : l;
      if (!(inner instanceof Recurrent) || !inner.stateful) continue;
      const sb = inner.statefulBatchSize;
      if (batchSize !== sb || n % sb !== 0) {
        throw new RangeError(
          `${l.where}: stateful, built for batches of ${sb} samples; ${what} needs batchSize ${sb} and a sample count divisible by it (got batchSize ${batchSize}, ${n} samples)`,
        );
      }
    }
  }

  private ensureMetrics(cols: number, sparseTargets: boolean): Metric[] {
    const key = cols * 2 + (sparseTargets ? 1 : 0);
    if (this.metricsFor !== key) {
      this.engine.metricObjs = this.metricIds.map((id) => resolveMetric(id, { predWidth: cols, sparseTargets }));
      this.metricsFor = key;
    }
    return this.engine.metricObjs;
  }

  async fit(x: Tensor | NestedArray, y: Tensor | NestedArray, args: FitArgs = {}): Promise<History> {
    checkOptions(
      args,
      ['epochs', 'batchSize', 'shuffle', 'validationSplit', 'validationData', 'validationBatchSize', 'validationFreq', 'verbose', 'callbacks', 'seed', 'initialEpoch', 'yieldEvery', 'progressSink', 'sampleWeight', 'classWeight', 'workers'],
      `${this.where}: fit`,
      FIT_LATER,
    );
    const { loss, optimizer } = this.requireCompiled('fit');
    const epochs = args.epochs === undefined ? 1 : checkPositiveInt(args.epochs, 'fit: epochs');
    const batchSize = args.batchSize === undefined ? this.defaultBatchSize() : checkPositiveInt(args.batchSize, 'fit: batchSize');
    const initialEpoch = args.initialEpoch === undefined ? 0 : checkNonNegativeInt(args.initialEpoch, 'fit: initialEpoch');
    const validationFreq = args.validationFreq === undefined ? 1 : checkPositiveInt(args.validationFreq, 'fit: validationFreq');
    const validationBatchSize = args.validationBatchSize === undefined ? batchSize : checkPositiveInt(args.validationBatchSize, 'fit: validationBatchSize');
    const shuffle = args.shuffle ?? true;
    if (typeof shuffle !== 'boolean') throw new RangeError(`fit: shuffle must be true or false${shuffle === 'batch' ? " ('batch' is not supported)" : ''}, got ${JSON.stringify(shuffle)}`);
    const verbose = checkVerbose(args.verbose ?? 'auto', 'fit');
    const yieldEvery = args.yieldEvery ?? 'auto';
    if (!['auto', 'batch', 'epoch', 'never'].includes(yieldEvery)) throw new RangeError(`fit: yieldEvery must be 'auto', 'batch', 'epoch' or 'never', got ${JSON.stringify(yieldEvery)}`);
    if (args.seed !== undefined) checkNonNegativeInt(args.seed, 'fit: seed');
    const workers = args.workers === undefined ? 1 : checkWorkersOption(args.workers);

    const all = this.dataset(x, y, 'fit', loss);
    if (args.sampleWeight !== undefined && args.classWeight !== undefined) throw new RangeError('fit: give sampleWeight or classWeight, not both');
    if (args.sampleWeight !== undefined) this.attachSampleWeights(all, args.sampleWeight, 'fit: sampleWeight');
    if (args.classWeight !== undefined) {
      all.sw = classWeightsToSampleWeights(args.classWeight, all.y, all.n, this.engine.outputWidth(all.T), loss.sparse, 'fit: classWeight');
      all.swWidth = 1;
    }
    let train = all;
    let val: Dataset | null = null;
    if (args.validationData !== undefined) {
      if (!Array.isArray(args.validationData) || args.validationData.length !== 2) throw new TypeError('fit: validationData must be [xVal, yVal]');
      val = this.dataset(args.validationData[0], args.validationData[1], 'fit: validationData', loss);
    } else if (args.validationSplit !== undefined && args.validationSplit !== 0) {
      const split = checkNumberIn(args.validationSplit, 0, 1, 'fit: validationSplit', { hiOpen: true });
      const splitAt = Math.floor(all.n * (1 - split));
      if (splitAt === 0 || splitAt === all.n) {
        throw new RangeError(`fit: validationSplit ${split} of ${all.n} samples leaves ${splitAt === 0 ? 'no training' : 'no validation'} samples`);
      }
      train = sliceDataset(all, 0, splitAt);
      val = sliceDataset(all, splitAt, all.n);
    }
    if (val !== null && val.T !== train.T && this.layers[0]!.inputShape[0] !== null) {
      throw new RangeError(`fit: validation data has time length ${val.T}, training data ${train.T}`);
    }

    const outShape = this.outputShape;
    const cols = outShape[outShape.length - 1] as number;
    const sparseTargets = loss.sparse;
    this.ensureMetrics(cols, sparseTargets);
    const engine = this.engine;
    engine.planArena();
    engine.refreshTrainable();
    optimizer.build(engine.params.length, engine.segments);
    engine.collectWeightRules();
    this.checkStatefulBatches(batchSize, train.n, 'fit');
    if (val !== null) this.checkStatefulBatches(validationBatchSize, val.n, 'fit (validation)');
    engine.planBatches(train, batchSize);
    if (val !== null) engine.planBatches(val, validationBatchSize);

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
    const metrics = engine.metricObjs;
    const threads = workers === 1 ? 1 : await resolveThreads(workers, this.layers, loss, batchSize, train.T);
    const pool = threads > 1 ? await ParallelTrainer.start(this, threads, train, batchSize, fitSeed) : null;

    try {
      this.stopTraining = false;
      await runHooks(cbs, (cb) => cb.onTrainBegin?.({}));
      let lastYield = performance.now();
      for (let epoch = initialEpoch; epoch < epochs && !this.stopTraining; epoch++) {
        await runHooks(cbs, (cb) => cb.onEpochBegin?.(epoch, {}));
        // Each epoch's order depends only on (seed, epoch), as a fresh permutation, so a
        // run resumed with initialEpoch shuffles exactly as an unbroken one.
        for (let i = 0; i < train.n; i++) order[i] = i;
        if (shuffle) new Rng(mixSeeds(fitSeed, epoch)).shuffle(order);
        // Dropout masks too: each layer reseeds from (its seed, fit seed, epoch).
        for (const l of this.layers) l.beginEpoch(fitSeed, epoch);
        for (const m of metrics) m.reset();
        let lossSum = 0;
        let seen = 0;
        for (let step = 0; step < steps; step++) {
          const start = step * batchSize;
          const B = Math.min(batchSize, train.n - start);
          if (wantsBatchLogs) await runHooks(cbs, (cb) => cb.onBatchBegin?.(step, { batch: step, size: B }));
          gatherRows(engine.xb, train.x.data, order, start, B, train.xWidth);
          gatherRows(engine.yb, train.y.data, order, start, B, train.yWidth);
          if (train.sw !== null) gatherRows(engine.swb, train.sw, order, start, B, train.swWidth);
          if (pool === null) engine.trainStep(B, train.T, cols, sparseTargets, train.swWidth, train.sw !== null);
          else await pool.step(B, epoch, sparseTargets);
          lossSum += engine.stepLoss[0]! * B;
          seen += B;
          if (wantsBatchLogs) {
            const logs = engine.logs(lossSum / seen, '');
            await runHooks(cbs, (cb) => cb.onBatchEnd?.(step, logs));
          }
          if (this.stopTraining) break;
          if (yieldEvery === 'batch' || (yieldEvery === 'auto' && performance.now() - lastYield > 25)) {
            await yieldToEventLoop();
            lastYield = performance.now();
          }
        }
        const logs = engine.logs(lossSum / seen, '');
        if (val !== null && (epoch + 1 - initialEpoch) % validationFreq === 0) Object.assign(logs, engine.evaluateDataset(val, validationBatchSize, 'val_', cols, sparseTargets));
        await runHooks(cbs, (cb) => cb.onEpochEnd?.(epoch, logs));
        if (yieldEvery !== 'never') {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      }
      await runHooks(cbs, (cb) => cb.onTrainEnd?.({}));
    } finally {
      await pool?.close();
    }
    return history;
  }

  private attachSampleWeights(ds: Dataset, sampleWeight: Tensor | NestedArray, what: string): void {
    const perRow = this.engine.outputWidth(ds.T) / (this.outputShape[this.outputShape.length - 1] as number);
    const { data, width } = sampleWeightTensor(sampleWeight, ds.n, perRow, what);
    ds.sw = data;
    ds.swWidth = width;
  }

  /** Loss and metrics on (x, y): `[loss, ...metrics]` in compile order. */
  evaluate(x: Tensor | NestedArray, y: Tensor | NestedArray, args: EvaluateArgs = {}): number[] {
    checkOptions(args, ['batchSize', 'verbose', 'progressSink', 'sampleWeight'], `${this.where}: evaluate`, { steps: 'evaluate always uses all of the data' });
    const { loss } = this.requireCompiled('evaluate');
    const batchSize = args.batchSize === undefined ? this.defaultBatchSize() : checkPositiveInt(args.batchSize, 'evaluate: batchSize');
    const verbose = checkVerbose(args.verbose ?? 'auto', 'evaluate');
    const ds = this.dataset(x, y, 'evaluate', loss);
    this.checkStatefulBatches(batchSize, ds.n, 'evaluate');
    if (args.sampleWeight !== undefined) this.attachSampleWeights(ds, args.sampleWeight, 'evaluate: sampleWeight');
    this.engine.collectWeightRules();
    const cols = this.outputShape[this.outputShape.length - 1] as number;
    const sparseTargets = loss.sparse;
    this.ensureMetrics(cols, sparseTargets);
    this.engine.planBatches(ds, batchSize);
    let bar: ProgbarLogger | null = null;
    const steps = Math.ceil(ds.n / batchSize);
    if (verbose !== 0) {
      bar = new ProgbarLogger(verbose, args.progressSink);
      bar.setParams({ epochs: 1, initialEpoch: 0, steps, samples: ds.n, batchSize, verbose });
      bar.onEpochBegin(0);
    }
    const logs = this.engine.evaluateDataset(ds, batchSize, '', cols, sparseTargets, bar === null ? undefined : (s, l) => bar.onBatchEnd(s, l));
    bar?.onEpochEnd(0, logs);
    return [logs.loss!, ...this.engine.metricObjs.map((m) => logs[m.name]!)];
  }

  /** Model outputs for x, batch by batch, inference mode. */
  predict(x: Tensor | NestedArray, args: PredictArgs = {}): Tensor {
    checkOptions(args, ['batchSize', 'verbose'], `${this.where}: predict`, { steps: 'predict always uses all of the data' });
    if (args.verbose !== undefined && args.verbose !== 0) throw new RangeError(`predict: verbose ${JSON.stringify(args.verbose)} is not supported; predict prints nothing`);
    const batchSize = args.batchSize === undefined ? this.defaultBatchSize() : checkPositiveInt(args.batchSize, 'predict: batchSize');
    const xt = checkedTensor(x, 'predict: x');
    this.checkInput(xt, 'predict');
    const n = xt.shape[0]!;
    this.checkStatefulBatches(batchSize, n, 'predict');
    const T = this.layers[0]!.inputTime(xt.shape.slice(1));
    const result = this.engine.predict(xt.data, n, T, xt.size / n, batchSize);
    return new Tensor(result, [n, ...this.outputShape.map((d) => (d === null ? T : d))]);
  }

  /** @internal Inference forward over a batch (Stream uses it). */
  runInference(x: Float32Array, B: number, T: number): Float32Array {
    return this.engine.runInference(x, B, T);
  }

  /**
   * Streaming inference: a Stream feeds one step (or chunk) at a time and carries
   * every recurrent layer's state between calls (O(1) work per step).
   */
  stream(args: { batchSize?: number } = {}): Stream {
    checkOptions(args, ['batchSize'], `${this.where}: stream`);
    return new Stream(this, args.batchSize === undefined ? 1 : checkPositiveInt(args.batchSize, 'stream: batchSize'));
  }

  /** Zero the carried state of every stateful recurrent layer (Keras reset_states). */
  resetStates(): void {
    for (const l of this.layers) (l as { resetStates?: () => void }).resetStates?.();
  }

  /** Print (and return) Keras's summary table. */
  summary(printFn: (line: string) => void = (line) => console.log(line)): string {
    let trainable = 0;
    let nonTrainable = 0;
    for (const l of this.layers) {
      if (!l.isBuilt) continue;
      if (l.trainable) trainable += l.countParams();
      else nonTrainable += l.countParams();
    }
    const text = formatSummary(
      this.name,
      this.layers.map((l) => ({
        name: l.name,
        className: l.className,
        outputShape: l.isBuilt ? [null, ...l.outputShape] : null,
        params: l.isBuilt ? l.countParams() : null,
      })),
      { trainable, nonTrainable, optimizer: this.optimizer !== null && this.optimizer.numStateValues() > 0 ? this.optimizer.numStateValues() : null },
    );
    printFn(text);
    return text;
  }

  countParams(): number {
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  /** All weights, layer by layer in Keras order, as Tensors (copies). */
  getWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  /** Set all weights, in getWeights() order. */
  setWeights(weights: readonly Tensor[]): void {
    if (!this.built) throw new RangeError(`${this.where}: setWeights before the model is built; give the first layer an inputShape or call build()`);
    const expected = this.layers.reduce((n, l) => n + l.weights.length, 0);
    if (!Array.isArray(weights) || weights.length !== expected) {
      throw new RangeError(`${this.where}: setWeights expected ${expected} tensors, got ${Array.isArray(weights) ? weights.length : typeof weights}`);
    }
    let i = 0;
    for (const l of this.layers) {
      l.setWeights(weights.slice(i, i + l.weights.length));
      i += l.weights.length;
    }
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, layers: this.layers.map((l) => ({ className: l.className, config: l.getConfig() })) };
  }
}

function checkNonNegativeInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new RangeError(`${what} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v;
}

function checkVerbose(v: unknown, what: string): 0 | 1 | 2 {
  if (v === 'auto') return 1;
  if (v === 0 || v === 1 || v === 2) return v;
  throw new RangeError(`${what}: verbose must be 0, 1, 2 or 'auto', got ${JSON.stringify(v)}`);
}

