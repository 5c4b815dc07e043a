/**
 * Layer base. A layer owns its weights (value + gradient, Keras layouts) and its
 * activation caches, and runs explicit forward/backward passes over flat buffers:
 * activations between layers are batch-major [B, …] Float32Arrays, each layer
 * returning a buffer it owns. Buffers grow to the largest batch seen and are then
 * reused, so a training step allocates nothing. The model may move the weights
 * into its flat arenas (`weight.value`/`weight.grad` become views); kernels always
 * read through the LayerWeight, so that is invisible here.
 */
import { Tensor, formatShape, toTensor, type NestedArray } from '../core/tensor.js';
import { ModelFormatError, checkBoolean, checkOptions, checkPositiveInt, show } from '../core/errors.js';
import { Node, NodeIO, SymbolicTensor, type CallSpec } from './node.js';
import { Rng, nextSeed } from '../core/rng.js';
import { noteWeightsWritten } from '../core/weightsVersion.js';
import type { Initializer } from '../initializers/index.js';
import type { Regularizer } from '../regularizers/index.js';
import type { Constraint } from '../constraints/index.js';
import { backend, freeBuffer } from '../backend/kernels.js';

/** A per-sample shape (no batch axis); `null` = any length (only the time axis). */
export type Shape = readonly (number | null)[];

export interface LayerWeight {
  /** Short Keras name: 'kernel', 'recurrent_kernel', 'bias'. */
  readonly name: string;
  readonly shape: readonly number[];
  value: Float32Array;
  grad: Float32Array;
  /** Penalty added to the loss (and its gradient to `grad`) by the model. */
  readonly regularizer: Regularizer | null;
  /** Projection the model applies after every optimizer update. */
  readonly constraint: Constraint | null;
  /** False for state-like weights the optimizer never updates. */
  readonly trainable: boolean;
  /** A count Keras keeps as an integer (Normalization's 'count'): model files may store it as one. */
  readonly integer?: boolean;
}

/** Options every layer accepts (tfjs spellings). */
export interface LayerArgs {
  /** Layer name; default the Keras style `dense`, `dense_1`, … */
  name?: string;
  /** Per-sample input shape (no batch axis), e.g. [10, 1]; only needed on the first layer. */
  inputShape?: readonly (number | null)[];
  /** Input shape with the batch axis first, e.g. [null, 10, 1] (tfjs). */
  batchInputShape?: readonly (number | null)[];
  /** Fixed batch size to go with inputShape (tfjs). */
  batchSize?: number;
  /** Shorthand for inputShape [inputDim] (tfjs). */
  inputDim?: number;
  /** Whether the optimizer updates this layer's weights. Default true. */
  trainable?: boolean;
  /** Only 'float32'. */
  dtype?: 'float32';
  /** Initial weight values in getWeights() order, applied when the layer is built. */
  weights?: Tensor[];
  /** Seed for this layer's randomness (initializers); default drawn from the global seed (setSeed). Only on layers that list it. */
  seed?: number;
}

export const LAYER_ARG_KEYS = ['name', 'inputShape', 'batchInputShape', 'batchSize', 'inputDim', 'trainable', 'dtype', 'weights'] as const;

const nameCounters = new Map<string, number>();

/** Keras-style unique names: 'dense', 'dense_1', 'dense_2', … */
export function uniqueName(prefix: string): string {
  const n = nameCounters.get(prefix) ?? 0;
  nameCounters.set(prefix, n + 1);
  return n === 0 ? prefix : `${prefix}_${n}`;
}

/**
 * A buffer of at least n floats from the current backend (steady state: returns `buf`
 * unchanged; a new one, zeroed, when it is too short or after a backend switch).
 */
export function ensure(buf: Float32Array, n: number): Float32Array {
  const k = backend();
  return buf.length >= n && k.owns(buf) ? buf : k.alloc(n);
}

/** `ensure` for a list of `count` buffers of n floats (the list is replaced when its length differs). */
export function ensureAll(bufs: Float32Array[], count: number, n: number): Float32Array[] {
  if (bufs.length !== count) bufs = Array.from({ length: count }, () => new Float32Array(0));
  for (let i = 0; i < count; i++) bufs[i] = ensure(bufs[i]!, n);
  return bufs;
}

/**
 * Free the backend buffers `obj` holds in its own properties — Float32Arrays, lists of
 * them (nested lists too), and Maps of them — leaving empty arrays in their place, so a
 * stale reference reads and writes nothing (dispose()). Other objects are not entered.
 */
export function releaseBuffers(obj: object): void {
  const release = (v: unknown): unknown => {
    if (v instanceof Float32Array) {
      freeBuffer(v);
      return v.length === 0 ? v : new Float32Array(0);
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const r = release(v[i]);
        if (r !== v[i]) v[i] = r;
      }
    }
    else if (v instanceof Map) {
      for (const [k, b] of v) if (b instanceof Float32Array) {
        freeBuffer(b);
        v.delete(k);
      }
    }
    return v;
  };
  const o = obj as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    const v = o[key];
    if (v instanceof Float32Array || Array.isArray(v) || v instanceof Map) {
      const r = release(v);
      if (r !== v) o[key] = r;
    }
  }
}

const releasedWeights = new WeakSet<LayerWeight>();

/** Free a weight's value and gradient; any later read or write of them throws, naming the layer. */
function releaseWeight(w: LayerWeight, where: string): void {
  if (releasedWeights.has(w)) return;
  releasedWeights.add(w);
  freeBuffer(w.value);
  freeBuffer(w.grad);
  const gone = (): never => {
    throw new Error(`${where} was disposed (its weight ${w.name} is freed); build or load the model again`);
  };
  Object.defineProperty(w, 'value', { get: gone, set: gone, configurable: true });
  Object.defineProperty(w, 'grad', { get: gone, set: gone, configurable: true });
}

/** Keyword options of `layer.apply` (tfjs spellings). */
export interface ApplyArgs {
  /**
   * Initial states of a recurrent layer: [h] (SimpleRNN, GRU) or [h, c] (LSTM), each
   * [batch, units]; for Bidirectional the forward layer's states, then the backward's.
   * Symbolic tensors in a graph (encoder states into a decoder), or concrete Tensors.
   */
  initialState?: Tensor | SymbolicTensor | readonly (Tensor | SymbolicTensor)[];
  /**
   * Step mask of concrete inputs: [batch, time] (1 = keep), or one per input (null for
   * none). In a graph, masks travel along the edges from Embedding(maskZero) or Masking.
   */
  mask?: Tensor | NestedArray | readonly (Tensor | NestedArray | null)[] | null;
  /** Force training (true: dropout on) or inference (false) behaviour for this call. */
  training?: boolean;
  /** A layer's own call options (e.g. Attention's returnAttentionScores). */
  [option: string]: unknown;
}

/** Anything `apply` takes as its inputs: one tensor, nested arrays, or a list of tensors. */
export type ApplyInput = Tensor | NestedArray | SymbolicTensor | readonly (Tensor | SymbolicTensor)[];

/** Whether `v` is a list of tensors (several inputs) rather than nested numbers (one input). */
function isTensorList(v: unknown): v is readonly (Tensor | SymbolicTensor)[] {
  return Array.isArray(v) && v.length > 0 && v.every((e) => e instanceof Tensor || e instanceof SymbolicTensor);
}

export abstract class Layer {
  abstract readonly className: string;
  readonly name: string;
  trainable: boolean;
  /** Declared input shape with batch axis, from inputShape/batchInputShape; null if not declared. */
  readonly batchInputShape: readonly (number | null)[] | null;
  readonly weights: LayerWeight[] = [];
  /** The calls of this layer on symbolic tensors, in order (Keras inbound nodes). */
  readonly inboundNodes: Node[] = [];
  protected built = false;
  /** Per-sample shapes the layer was built for (inputs, then initial states) and its outputs for them. */
  protected inShapes: Shape[] = [];
  protected outShapes: Shape[] = [];
  /** Seed of this layer's random numbers, when given. */
  readonly seed: number | undefined;
  private initialWeights: Tensor[] | undefined;
  protected initializing = true;
  /** For a twin: the weight records addWeight hands out instead of making new ones. */
  private weightSource: readonly LayerWeight[] | null = null;
  private weightSourceAt = 0;
  /** Call options this layer accepts besides initialState, mask and training (Keras call arguments). */
  protected readonly callOptions: readonly string[] = [];
  /**
   * A Keras `activity_regularizer` read from a model file (its config as read), or
   * undefined. rnnkit does not implement activity regularizers: they add a penalty on the
   * layer's output to the training loss and leave predictions alone, so a model holding
   * one predicts as Keras does, while fit and evaluate refuse it (activityRegularized)
   * rather than report and train on another loss. The writers keep it. Set it to
   * undefined to train without it.
   */
  activityRegularizer: unknown = undefined;

  constructor(args: LayerArgs, prefix: string) {
    const where = `${prefix} layer`;
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name === '')) {
      throw new TypeError(`${where}: name must be a non-empty string, got ${show(args.name)}`);
    }
    this.name = args.name ?? uniqueName(prefix);
    this.trainable = args.trainable === undefined ? true : checkBoolean(args.trainable, `${where} '${this.name}': trainable`);
    if (args.dtype !== undefined && args.dtype !== 'float32') {
      throw new RangeError(`${where} '${this.name}': dtype ${JSON.stringify(args.dtype)} is not supported; rnnkit computes in 'float32'`);
    }
    this.batchInputShape = declaredInputShape(args, `${where} '${this.name}'`);
    this.initialWeights = args.weights;
    if (args.seed !== undefined && (typeof args.seed !== 'number' || !Number.isInteger(args.seed) || args.seed < 0)) {
      throw new RangeError(`${where} '${this.name}': seed must be a non-negative integer, got ${show(args.seed)}`);
    }
    this.seed = args.seed;
  }

  private released = false;

  /** Whether dispose() freed this layer. */
  get isDisposed(): boolean {
    return this.released;
  }

  /**
   * Free the layer's backend memory now — weights, gradients, caches, inner layers' —
   * rather than when it is collected (model.dispose() calls this for every layer). The
   * layer cannot be used afterwards: reading its weights, or a new call, throws.
   */
  dispose(): void {
    if (this.released) return;
    if (this.isBuilt) for (const l of this.sublayers()) l.dispose();
    this.released = true;
    for (const w of this.weights) releaseWeight(w, this.where);
    releaseBuffers(this);
  }

  /** "SimpleRNN 'simple_rnn'" — the prefix of every error this layer throws. */
  get where(): string {
    return `${this.className} '${this.name}'`;
  }

  get isBuilt(): boolean {
    return this.built;
  }

  /** Per-sample input shape once built (the first input's). */
  get inputShape(): Shape {
    return this.inShapes[0] ?? [];
  }

  /** Per-sample output shape once built (the first output's). */
  get outputShape(): Shape {
    return this.outShapes[0] ?? [];
  }

  /**
   * Create the weights for a per-sample input shape; validates the shape. With
   * initialize false the weights stay zero (a loader fills them: running orthogonal
   * initializers only to overwrite them is what froze browsers loading tfjs models).
   */
  build(inputShape: Shape, initialize = true): void {
    this.buildCall([inputShape], PLAIN_CALL, initialize);
  }

  /**
   * `build` for a call with several inputs (and initial states). A built layer only
   * checks that the shapes fit what it was built for.
   */
  buildCall(inputShapes: readonly Shape[], call: CallSpec, initialize = true): void {
    if (this.built) {
      if (!this.sameMainShapes(inputShapes, call)) {
        const main = inputShapes.length - call.stateCount;
        throw new RangeError(`${this.where}: expected input of shape ${formatShapes(this.inShapes.slice(0, main))}, got ${formatShapes(inputShapes.slice(0, main))}`);
      }
      this.computeOutputShapes(inputShapes, call); // the call's own checks (state shapes, options)
      return;
    }
    this.outShapes = this.computeOutputShapes(inputShapes, call);
    this.inShapes = inputShapes.map((s) => [...s]);
    this.initializing = initialize || initializeAll;
    try {
      this.createCallWeights(inputShapes, call, new Rng(this.seedForInit()));
    } finally {
      this.initializing = true;
    }
    this.built = true;
    if (this.weightSource !== null && this.weightSourceAt !== this.weightSource.length) {
      throw new Error(`${this.where}: shares ${this.weightSourceAt} of the ${this.weightSource.length} weights of the layer it copies`);
    }
    if (this.initialWeights !== undefined) {
      this.setWeights(this.initialWeights);
      this.initialWeights = undefined;
    }
  }

  /** Whether the call's main inputs have the shapes this layer was built for (a null built dimension takes any size). */
  private sameMainShapes(inputShapes: readonly Shape[], call: CallSpec): boolean {
    const main = inputShapes.length - call.stateCount;
    if (main > this.inShapes.length) return false;
    for (let i = 0; i < main; i++) {
      const a = inputShapes[i]!;
      const b = this.inShapes[i]!;
      if (a.length !== b.length || !a.every((d, k) => d === b[k] || b[k] === null)) return false;
    }
    return true;
  }

  /** Whether a built layer can run a call on inputs of these shapes. */
  private fitsBuilt(inputShapes: readonly Shape[], call: CallSpec): boolean {
    return this.sameMainShapes(inputShapes, call) && this.acceptsShapes(inputShapes, call);
  }

  /** Whether backward can give a gradient for input i (integer indices have none). */
  hasInputGradient(_i: number): boolean {
    return true;
  }

  /** Per-sample output shape for a per-sample input shape; throws for an input it cannot take. */
  abstract computeOutputShape(inputShape: Shape): Shape;

  /**
   * Per-sample output shapes of a call on inputs of these per-sample shapes (the last
   * `call.stateCount` of them initial states); throws for inputs it cannot take.
   * Default: one input, one output (computeOutputShape).
   */
  computeOutputShapes(inputShapes: readonly Shape[], call: CallSpec): Shape[] {
    if (call.stateCount > 0) throw new RangeError(`${this.where}: initialState is only for recurrent layers (SimpleRNN, LSTM, GRU, Bidirectional)`);
    if (inputShapes.length !== 1) throw new RangeError(`${this.where}: takes one input, got ${inputShapes.length}`);
    return [this.computeOutputShape(inputShapes[0]!)];
  }

  protected abstract createWeights(inputShape: Shape, rng: Rng): void;

  /** Create the weights for a call's input shapes. Default: from the first input (createWeights). */
  protected createCallWeights(inputShapes: readonly Shape[], _call: CallSpec, rng: Rng): void {
    this.createWeights(inputShapes[0]!, rng);
  }

  private seedForInit(): number {
    return this.seed ?? nextSeed();
  }

  protected addWeight(
    name: string,
    shape: readonly number[],
    init: Initializer,
    rng: Rng,
    opts: { regularizer?: Regularizer | null; constraint?: Constraint | null; trainable?: boolean; integer?: boolean } = {},
  ): LayerWeight {
    if (this.weightSource !== null) {
      const w = this.weightSource[this.weightSourceAt++];
      const same = w !== undefined && w.name === name && w.shape.length === shape.length && w.shape.every((d, i) => d === shape[i]);
      if (!same) {
        const had = w === undefined ? 'no weight' : `${w.name} ${formatShape(w.shape)}`;
        throw new RangeError(`${this.where}: this call needs weight ${name} ${formatShape(shape)}, but the layer's first call made ${had}; a shared layer must see inputs with the same feature sizes`);
      }
      this.weights.push(w);
      return w;
    }
    const size = shape.reduce((a, b) => a * b, 1);
    chargeWeightBudget(size, `${this.where}: weight ${name} ${formatShape(shape)}`);
    const w: LayerWeight = {
      name,
      shape: [...shape],
      value: new Float32Array(size),
      grad: new Float32Array(size),
      // a regularizer that needs the weight's shape (OrthogonalRegularizer) binds to it here
      regularizer: opts.regularizer?.forWeight?.(shape, `${this.where}: weight ${name}`) ?? opts.regularizer ?? null,
      constraint: opts.constraint ?? null,
      trainable: opts.trainable ?? true,
      ...(opts.integer === true ? { integer: true } : {}),
    };
    if (this.initializing) init.init(w.value, shape, rng);
    this.weights.push(w);
    return w;
  }

  /** Layers this one is made of (wrappers, models): a twin shares their weights one by one. */
  protected sublayers(): readonly Layer[] {
    return [];
  }

  /**
   * Whether a model or wrapper around this layer has trainable false, as fit last saw it.
   * Keras propagates `trainable = false` to every inner layer; rnnkit keeps each layer's own
   * flag and tells it this instead (BatchNormalization then uses its moving statistics).
   */
  protected frozenByParent = false;

  /** @internal Set by fit on every layer below a model: `frozen` when something above it is not trainable. */
  markFrozen(frozen: boolean): void {
    this.frozenByParent = frozen;
    for (const s of this.sublayers()) s.markFrozen(frozen || !this.trainable);
  }

  /** An unbuilt copy with the same class and options (from getConfig; wrappers copy their inner layers). */
  freshCopy(): Layer {
    const make = this.constructor as new (args: Record<string, unknown>) => Layer;
    const copy = new make(this.getConfig());
    copy.activityRegularizer = this.activityRegularizer;
    return copy;
  }

  /** This layer and the layers inside it that hold an activity regularizer (see activityRegularizer). */
  activityRegularized(): Layer[] {
    const inner = this.sublayers().filter((l) => l !== this).flatMap((l) => l.activityRegularized());
    return this.activityRegularizer === undefined ? inner : [this, ...inner];
  }

  /**
   * Another instance of this built layer for a further call in a graph: the same
   * weight records (both calls train one set of weights; their gradients add up) and
   * caches of its own, built for this call's input shapes.
   */
  twin(inputShapes: readonly Shape[], call: CallSpec): Layer {
    const copy = this.freshCopy();
    copy.trainable = this.trainable;
    copy.shareWeightsOf(this);
    copy.buildCall(inputShapes, call, false);
    if (copy.weights.length !== this.weights.length || copy.weights.some((w, i) => w !== this.weights[i])) {
      throw new Error(`${this.where}: a copy for another call does not share every weight`);
    }
    return copy;
  }

  private shareWeightsOf(src: Layer): void {
    const mine = this.sublayers();
    const theirs = src.sublayers();
    if (mine.length !== theirs.length) throw new Error(`${this.where}: a copy has ${mine.length} inner layers, the original ${theirs.length}`);
    if (mine.length === 0) this.weightSource = src.weights;
    mine.forEach((l, i) => l.shareWeightsOf(theirs[i]!));
  }

  /**
   * Forward over a batch of B samples (T = time length when the input is 3-D, else 1).
   * `mask` is the incoming [B, T] step mask (1 = keep) or null. Returns the layer's
   * own output buffer, valid until its next forward.
   */
  abstract forward(x: Float32Array, B: number, T: number, training: boolean, mask: Float32Array | null): Float32Array;

  /**
   * The [B, T'] mask this layer passes on after a forward that received `inputMask`
   * (Keras compute_mask). Default: a layer that keeps the time axis passes its input
   * mask through; one that drops it (2-D output) ends it.
   */
  outputMask(inputMask: Float32Array | null): Float32Array | null {
    return this.outputShape.length === 2 && this.inputShape.length === 2 ? inputMask : null;
  }

  /**
   * Backward for the last forward: accumulates weight gradients and, when needDx,
   * returns dLoss/dInput in the layer's own buffer.
   */
  abstract backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null;

  /**
   * One call in a graph, forward: read io's inputs, write its outputs (own buffers),
   * their masks and time lengths. Default: one input, one output (forward).
   */
  forwardNode(io: NodeIO): void {
    const T = io.xTime[0]!;
    const mask = io.xMasks[0]!;
    io.ys[0] = this.forward(io.xs[0]!, io.B, T, io.training, mask);
    io.yMasks[0] = this.outputMask(mask);
    io.yTime[0] = this.outputTime(T);
  }

  /**
   * Backward of the last forwardNode: accumulate weight gradients from io.dys (null =
   * no gradient reaches that output) and, where io.needDx asks, write the input
   * gradients to io.dxs. Default: one input, one output (backward).
   */
  backwardNode(io: NodeIO): void {
    io.dxs[0] = this.backward(io.dys[0]!, io.B, io.xTime[0]!, io.needDx[0] === 1);
  }

  /**
   * Called by fit at the start of each epoch. Layers that draw random numbers in
   * training (dropout) reseed from (their own seed, fitSeed, epoch), so a run resumed
   * with initialEpoch draws the same masks as an unbroken one.
   */
  beginEpoch(_fitSeed: number, _epoch: number): void {}

  /** Time length of an input whose per-sample shape is `sampleShape` ([T, F] → T; no time axis → 1). */
  inputTime(sampleShape: readonly number[]): number {
    return sampleShape.length === 2 ? sampleShape[0]! : 1;
  }

  /** Time length of the output for input time length T (1 when the output is 2-D). */
  outputTime(T: number): number {
    return this.outputShape.length === 2 ? T : 1;
  }

  /**
   * Call the layer. On symbolic tensors (from `input()` or another layer's call) it
   * records the call in the graph and returns the output's symbolic tensor — a list of
   * them for layers with several outputs (a recurrent layer with returnState gives
   * [output, h] or [output, h, c]; cast as tfjs users do). On concrete tensors it runs
   * the layer at once (inference mode unless `training: true`) and returns the output
   * Tensor (or list); it builds the layer on first use.
   */
  apply(inputs: SymbolicTensor | readonly SymbolicTensor[], kwargs?: ApplyArgs): SymbolicTensor;
  apply(inputs: Tensor | NestedArray | readonly Tensor[], kwargs?: ApplyArgs): Tensor;
  apply(inputs: ApplyInput, kwargs?: ApplyArgs): Tensor | SymbolicTensor;
  apply(inputs: ApplyInput, kwargs: ApplyArgs = {}): Tensor | SymbolicTensor {
    if (this.released) throw new Error(`${this.where} was disposed; build a new layer`);
    checkOptions(kwargs, ['initialState', 'mask', 'training', ...this.callOptions], `${this.where}: apply`);
    const main: readonly unknown[] = isTensorList(inputs) ? inputs : [inputs];
    const init = kwargs.initialState;
    const states: readonly unknown[] = init === undefined || init === null ? [] : isTensorList(init) ? init : [init];
    if (!Array.isArray(states) || (init !== undefined && init !== null && states.length === 0)) throw new TypeError(`${this.where}: initialState must be a tensor or a list of tensors`);
    const args: Record<string, boolean | number | string | null> = {};
    if (kwargs.training !== undefined) args.training = checkBoolean(kwargs.training, `${this.where}: apply: training`);
    for (const k of this.callOptions) {
      const v = kwargs[k];
      if (v === undefined) continue;
      if (v !== null && typeof v !== 'boolean' && typeof v !== 'number' && typeof v !== 'string') throw new TypeError(`${this.where}: apply: ${k} must be a boolean, number or string`);
      args[k] = v;
    }
    const call: CallSpec = { stateCount: states.length, args };
    const all = [...main, ...states];
    const symbolic = all.filter((t) => t instanceof SymbolicTensor).length;
    if (symbolic > 0) {
      if (symbolic < all.length) throw new TypeError(`${this.where}: apply got symbolic and concrete tensors together; in a graph every input (and initial state) must be symbolic`);
      if (kwargs.mask !== undefined && kwargs.mask !== null) {
        throw new RangeError(`${this.where}: apply: an explicit mask is only for concrete tensors; in a graph masks travel from Embedding(maskZero) or Masking along the edges`);
      }
      const outs = this.applySymbolic(all as SymbolicTensor[], call);
      return (outs.length === 1 ? outs[0]! : outs) as unknown as SymbolicTensor;
    }
    const outs = this.applyEager(all as (Tensor | NestedArray)[], call, kwargs.mask);
    return (outs.length === 1 ? outs[0]! : outs) as unknown as Tensor;
  }

  /** Whether the layer takes a batch of scalars ([batch] input, e.g. Embedding indices); most need a feature axis. */
  protected takesScalars(): boolean {
    return false;
  }

  /** Record a call on symbolic tensors: check the shapes, build (first call) or twin (later calls), make the node. */
  private applySymbolic(inputs: readonly SymbolicTensor[], call: CallSpec): SymbolicTensor[] {
    const shapes = inputs.map((t) => t.shape.slice(1));
    for (const t of inputs) {
      if (t.rank < 2 && !this.takesScalars()) throw new RangeError(`${this.where}: input ${t.name} has shape ${formatShape(t.shape)}, expected a batch axis and at least one feature axis`);
    }
    const outShapes = this.computeOutputShapes(shapes, call);
    let runner: Layer = this;
    if (!this.built) this.buildCall(shapes, call);
    else if (this.inboundNodes.length > 0 || !this.fitsBuilt(shapes, call)) runner = this.twin(shapes, call);
    const batch = inputs.find((t) => t.shape[0] !== null)?.shape[0] ?? null;
    const node = new Node(this, inputs, call, outShapes.map((s) => [batch, ...s]), runner);
    return [...node.outputs];
  }

  /** Run the layer on concrete tensors now (the eager form of a call). */
  private applyEager(inputs: readonly (Tensor | NestedArray)[], call: CallSpec, mask: ApplyArgs['mask']): Tensor[] {
    const xs = inputs.map((v, i) => toTensor(v as Tensor | NestedArray, `${this.where}: input${inputs.length > 1 ? ` ${i}` : ''}`));
    for (const x of xs) if (x.rank < 2) throw new RangeError(`${this.where}: expected input with a batch axis, got shape ${formatShape(x.shape)}`);
    const B = xs[0]!.shape[0]!;
    if (xs.some((x) => x.shape[0] !== B)) throw new RangeError(`${this.where}: every input needs the same batch size, got ${xs.map((x) => formatShape(x.shape)).join(', ')}`);
    const shapes = xs.map((x) => x.shape.slice(1));
    if (!this.built) {
      // Keras leaves the time axis open unless declared: later calls may use other lengths.
      const declared = this.batchInputShape?.slice(1);
      const open = shapes.map((s, i) => (i < shapes.length - call.stateCount ? [null, ...s.slice(1)] : s));
      if (declared !== undefined && shapes.length === 1) this.buildCall([declared], call);
      else if (this.acceptsShapes(open, call)) this.buildCall(open, call);
    }
    this.buildCall(shapes, call);
    const outShapes = this.computeOutputShapes(shapes, call) as number[][];
    const io = new NodeIO(xs.length, outShapes.length);
    io.B = B;
    io.call = call;
    io.training = call.args.training === true;
    const masks = eagerMasks(mask, xs, this.where);
    xs.forEach((x, i) => {
      io.xs[i] = x.data;
      io.xTime[i] = this.inputTime(x.shape.slice(1));
      io.xMasks[i] = masks[i]!;
    });
    this.forwardNode(io);
    return outShapes.map((s, j) => {
      const shape = [B, ...s];
      return new Tensor(io.ys[j]!.slice(0, shape.reduce((a, b) => a * b, 1)), shape);
    });
  }

  private acceptsShapes(shapes: readonly Shape[], call: CallSpec): boolean {
    try {
      this.computeOutputShapes(shapes, call);
      return true;
    } catch {
      return false;
    }
  }

  countParams(): number {
    return this.weights.reduce((n, w) => n + w.value.length, 0);
  }

  /** Whether fit trains each weight (`weights` order): the layer's trainable flag and the weight's own. */
  weightTrainable(): boolean[] {
    return this.weights.map((w) => this.trainable && w.trainable);
  }

  /** The stored name of each weight ('layer/kernel'; wrappers put their inner layer's name between), in `weights` order. */
  weightPaths(): string[] {
    return this.weights.map((w) => `${this.name}/${w.name}`);
  }

  /** Weights in Keras order as Tensors (copies). */
  getWeights(): Tensor[] {
    return this.weights.map((w) => new Tensor(w.value.slice(), w.shape));
  }

  /** Set weights in Keras order; shapes must match exactly and values be finite (nothing is written otherwise). */
  setWeights(weights: readonly Tensor[]): void {
    this.checkWeights(weights);
    weights.forEach((t, i) => this.weights[i]!.value.set(t.data));
    noteWeightsWritten();
  }

  /**
   * @internal setWeights's checks without the write: built, one Tensor per weight, the exact
   * shapes, finite values (NaN or ±Infinity named with the weight and the index). A model
   * checks every layer's share before it writes any.
   */
  checkWeights(weights: readonly Tensor[]): void {
    if (!this.built) {
      throw new RangeError(`${this.where}: setWeights before the layer is built; give the model an inputShape or call the layer first`);
    }
    if (!Array.isArray(weights) || weights.length !== this.weights.length) {
      throw new RangeError(
        `${this.where}: setWeights expected ${this.weights.length} tensors (${this.weights.map((w) => w.name).join(', ')}), got ${Array.isArray(weights) ? weights.length : typeof weights}`,
      );
    }
    weights.forEach((t, i) => {
      const w = this.weights[i]!;
      if (!(t instanceof Tensor)) throw new TypeError(`${this.where}: setWeights: ${w.name} must be a Tensor`);
      const same = t.shape.length === w.shape.length && t.shape.every((d, k) => d === w.shape[k]);
      if (!same) throw new RangeError(`${this.where}: setWeights: ${w.name} expected shape ${formatShape(w.shape)}, got ${formatShape(t.shape)}`);
      if (!nonFiniteAllowed) {
        const bad = t.data.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) throw new RangeError(`${this.where}: setWeights: ${w.name} holds ${show(t.data[bad])} at index ${bad}; weights must be finite`);
      }
    });
  }

  /** JSON-safe configuration (tfjs camelCase keys). */
  getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = { name: this.name, trainable: this.trainable, dtype: 'float32' };
    if (this.batchInputShape !== null) c.batchInputShape = [...this.batchInputShape];
    if (this.seed !== undefined) c.seed = this.seed;
    return c;
  }
}

/** A call with one input and no options. */
export const PLAIN_CALL: CallSpec = Object.freeze({ stateCount: 0, args: Object.freeze({}) });

function formatShapes(shapes: readonly Shape[]): string {
  return shapes.map((s) => formatShape([null, ...s])).join(' and ');
}

/** The masks of an eager call, one per input ([B, T] Float32Arrays of 0/1, or null). */
function eagerMasks(mask: ApplyArgs['mask'], xs: readonly Tensor[], where: string): (Float32Array | null)[] {
  if (mask === undefined || mask === null) return xs.map(() => null);
  const list: readonly unknown[] = xs.length > 1 && Array.isArray(mask) && mask.length === xs.length && !mask.every((m) => typeof m === 'number') ? mask : [mask];
  if (list.length !== xs.length && !(list.length === 1)) throw new RangeError(`${where}: apply: mask must be one [batch, time] mask or one per input`);
  return xs.map((x, i) => {
    const m = list[i];
    if (m === undefined || m === null) return null;
    const t = toTensor(m as Tensor | NestedArray, `${where}: apply: mask`);
    const T = x.rank >= 3 ? x.shape[1]! : x.rank === 2 ? x.shape[1]! : 1;
    if (t.rank !== 2 || t.shape[0] !== x.shape[0] || t.shape[1] !== T) {
      throw new RangeError(`${where}: apply: mask must have shape [${x.shape[0]}, ${T}] (batch, time), got ${formatShape(t.shape)}`);
    }
    const out = backend().alloc(t.size);
    for (let k = 0; k < t.size; k++) out[k] = t.data[k] !== 0 ? 1 : 0;
    return out;
  });
}

function declaredInputShape(args: LayerArgs, where: string): (number | null)[] | null {
  const given = ['inputShape', 'batchInputShape', 'inputDim'].filter((k) => (args as Record<string, unknown>)[k] !== undefined);
  if (given.length > 1) throw new RangeError(`${where}: give only one of ${given.join(', ')}`);
  const checkDims = (s: unknown, what: string, allowNullFirst: boolean): (number | null)[] => {
    if (!Array.isArray(s)) throw new TypeError(`${where}: ${what} must be an array of dimensions, got ${show(s)}`);
    return s.map((d, i) => {
      if (d === null && (i === 0 || (allowNullFirst && i === 1))) return null;
      return checkPositiveInt(d, `${where}: ${what}[${i}]`);
    });
  };
  let batch: number | null = null;
  if (args.batchSize !== undefined) batch = checkPositiveInt(args.batchSize, `${where}: batchSize`);
  if (args.inputShape !== undefined) return [batch, ...checkDims(args.inputShape, 'inputShape', false)];
  if (args.batchInputShape !== undefined) return checkDims(args.batchInputShape, 'batchInputShape', true);
  if (args.inputDim !== undefined) return [batch, checkPositiveInt(args.inputDim, `${where}: inputDim`)];
  if (args.batchSize !== undefined) throw new RangeError(`${where}: batchSize needs inputShape too`);
  return null;
}

/**
 * A one-input layer whose output has its input's shape, on input of any rank ([batch,
 * features], [batch, time, features], [batch, time, …]): the time length is the size of the
 * first per-sample axis (1 without one), and the step mask passes through unchanged.
 */
export abstract class SameShapeLayer extends Layer {
  /** Whether the input has a time axis (rank 3 or more). */
  protected get hasTime(): boolean {
    return this.inputShape.length >= 2;
  }

  override inputTime(sampleShape: readonly number[]): number {
    return sampleShape.length >= 2 ? sampleShape[0]! : 1;
  }

  override outputTime(T: number): number {
    return this.hasTime ? T : 1;
  }

  override outputMask(inputMask: Float32Array | null): Float32Array | null {
    return inputMask;
  }
}

/** Validate the option keys of a layer's args. */
export function checkLayerOptions(args: object, own: readonly string[], where: string, later: Readonly<Record<string, string>> = {}): void {
  checkOptions(args, [...LAYER_ARG_KEYS, ...own], where, later);
}

/**
 * Run `fn` with every layer built in it initialized by its initializers, also where the
 * builder would leave the weights zero for a loader to fill: modelFromJson builds a model from
 * an architecture alone, as Keras's model_from_json does.
 */
export function withInitializers<T>(fn: () => T): T {
  const outer = initializeAll;
  initializeAll = true;
  try {
    return fn();
  } finally {
    initializeAll = outer;
  }
}

let initializeAll = false;

/**
 * A cap on the bytes of weights layers may allocate while `fn` runs (a weight costs 8 bytes
 * per value: its value and its gradient). Loading an untrusted model builds its layers under
 * a budget, so a small model.json asking for `units: 1e9` is refused before anything that
 * large is allocated.
 */
export function withWeightBudget<T>(bytes: number, fn: () => T): T {
  const outer = budget;
  budget = { left: bytes, limit: bytes };
  try {
    return fn();
  } finally {
    budget = outer;
  }
}

let budget: { left: number; limit: number } | null = null;

/**
 * Count `size` values a layer allocates against the loading model's budget (from its manifest
 * and maxBytes), before allocating them: weights, and what a build sizes from a file's shapes.
 */
export function chargeWeightBudget(size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > 2 ** 31) {
    const message = `${what}: ${size} values is more than rnnkit can allocate for one weight`;
    throw budget === null ? new RangeError(message) : new ModelFormatError(message);
  }
  if (budget === null) return;
  budget.left -= size * 8;
  if (budget.left < 0) throw new ModelFormatError(`${what} would take the model's weights past the ${budget.limit} bytes its weights manifest (and loadModel's maxBytes) allow`);
}

/** While `fn` runs, setWeights takes NaN and Infinity (loadModel with checkFinite: false). */
export function withNonFiniteWeights<T>(fn: () => T): T {
  const outer = nonFiniteAllowed;
  nonFiniteAllowed = true;
  try {
    return fn();
  } finally {
    nonFiniteAllowed = outer;
  }
}

let nonFiniteAllowed = false;
