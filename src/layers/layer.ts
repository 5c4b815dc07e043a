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
import { checkBoolean, checkOptions, checkPositiveInt } from '../core/errors.js';
import { Rng, nextSeed } from '../core/rng.js';
import type { Initializer } from '../initializers/index.js';
import type { Regularizer } from '../regularizers/index.js';
import type { Constraint } from '../constraints/index.js';
import { backend } from '../backend/index.js';

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

export abstract class Layer {
  abstract readonly className: string;
  readonly name: string;
  trainable: boolean;
  /** Declared input shape with batch axis, from inputShape/batchInputShape; null if not declared. */
  readonly batchInputShape: readonly (number | null)[] | null;
  readonly weights: LayerWeight[] = [];
  protected built = false;
  protected inShape: Shape = [];
  protected outShape: Shape = [];
  /** Seed of this layer's random numbers, when given. */
  readonly seed: number | undefined;
  private initialWeights: Tensor[] | undefined;
  protected initializing = true;

  constructor(args: LayerArgs, prefix: string) {
    const where = `${prefix} layer`;
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name === '')) {
      throw new TypeError(`${where}: name must be a non-empty string, got ${JSON.stringify(args.name)}`);
    }
    this.name = args.name ?? uniqueName(prefix);
    this.trainable = args.trainable === undefined ? true : checkBoolean(args.trainable, `${where} '${this.name}': trainable`);
    if (args.dtype !== undefined && args.dtype !== 'float32') {
      throw new RangeError(`${where} '${this.name}': dtype ${JSON.stringify(args.dtype)} is not supported; rnnkit computes in 'float32'`);
    }
    this.batchInputShape = declaredInputShape(args, `${where} '${this.name}'`);
    this.initialWeights = args.weights;
    if (args.seed !== undefined && (typeof args.seed !== 'number' || !Number.isInteger(args.seed) || args.seed < 0)) {
      throw new RangeError(`${where} '${this.name}': seed must be a non-negative integer, got ${JSON.stringify(args.seed)}`);
    }
    this.seed = args.seed;
  }

  /** "SimpleRNN 'simple_rnn'" — the prefix of every error this layer throws. */
  get where(): string {
    return `${this.className} '${this.name}'`;
  }

  get isBuilt(): boolean {
    return this.built;
  }

  /** Per-sample input shape once built. */
  get inputShape(): Shape {
    return this.inShape;
  }

  /** Per-sample output shape once built. */
  get outputShape(): Shape {
    return this.outShape;
  }

  /**
   * Create the weights for a per-sample input shape; validates the shape. With
   * initialize false the weights stay zero (a loader fills them: running orthogonal
   * initializers only to overwrite them is what froze browsers loading tfjs models).
   */
  build(inputShape: Shape, initialize = true): void {
    if (this.built) {
      const same = inputShape.length === this.inShape.length && inputShape.every((d, i) => d === this.inShape[i] || this.inShape[i] === null);
      if (!same) throw new RangeError(`${this.where}: expected input of shape ${formatShape([null, ...this.inShape])}, got ${formatShape([null, ...inputShape])}`);
      return;
    }
    this.outShape = this.computeOutputShape(inputShape);
    this.inShape = [...inputShape];
    this.initializing = initialize;
    try {
      this.createWeights(inputShape, new Rng(this.seedForInit()));
    } finally {
      this.initializing = true;
    }
    this.built = true;
    if (this.initialWeights !== undefined) {
      this.setWeights(this.initialWeights);
      this.initialWeights = undefined;
    }
  }

  private acceptsShape(shape: Shape): boolean {
    try {
      this.computeOutputShape(shape);
      return true;
    } catch {
      return false;
    }
  }

  /** Per-sample output shape for a per-sample input shape; throws for an input it cannot take. */
  abstract computeOutputShape(inputShape: Shape): Shape;
  protected abstract createWeights(inputShape: Shape, rng: Rng): void;
  private seedForInit(): number {
    return this.seed ?? nextSeed();
  }

  protected addWeight(
    name: string,
    shape: readonly number[],
    init: Initializer,
    rng: Rng,
    opts: { regularizer?: Regularizer | null; constraint?: Constraint | null } = {},
  ): LayerWeight {
    const size = shape.reduce((a, b) => a * b, 1);
    const w: LayerWeight = {
      name,
      shape: [...shape],
      value: new Float32Array(size),
      grad: new Float32Array(size),
      regularizer: opts.regularizer ?? null,
      constraint: opts.constraint ?? null,
      trainable: true,
    };
    if (this.initializing) init.init(w.value, shape, rng);
    this.weights.push(w);
    return w;
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
    return this.outShape.length === 2 && this.inShape.length === 2 ? inputMask : null;
  }

  /**
   * Backward for the last forward: accumulates weight gradients and, when needDx,
   * returns dLoss/dInput in the layer's own buffer.
   */
  abstract backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null;

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
    return this.outShape.length === 2 ? T : 1;
  }

  /** Run the layer on its own (inference mode). Builds it on first use. */
  apply(input: Tensor | NestedArray): Tensor {
    const x = toTensor(input, `${this.where}: input`);
    if (x.rank < 2) throw new RangeError(`${this.where}: expected input with a batch axis, got shape ${formatShape(x.shape)}`);
    if (!this.built) {
      // Keras leaves the time axis open unless declared: later calls may use other lengths.
      const declared = this.batchInputShape?.slice(1);
      const open = x.rank >= 2 ? [null, ...x.shape.slice(2)] : null;
      if (declared !== undefined) this.build(declared);
      else if (open !== null && this.acceptsShape(open)) this.build(open);
    }
    this.build(x.shape.slice(1));
    const B = x.shape[0]!;
    const T = this.inputTime(x.shape.slice(1));
    const y = this.forward(x.data, B, T, false, null);
    const outShape = [B, ...this.outShape.map((d) => (d === null ? T : d))] as number[];
    const size = outShape.reduce((a, b) => a * b, 1);
    return new Tensor(y.slice(0, size), outShape);
  }

  countParams(): number {
    return this.weights.reduce((n, w) => n + w.value.length, 0);
  }

  /** Weights in Keras order as Tensors (copies). */
  getWeights(): Tensor[] {
    return this.weights.map((w) => new Tensor(w.value.slice(), w.shape));
  }

  /** Set weights in Keras order; shapes must match exactly. */
  setWeights(weights: readonly Tensor[]): void {
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
    });
    weights.forEach((t, i) => this.weights[i]!.value.set(t.data));
  }

  /** JSON-safe configuration (tfjs camelCase keys). */
  getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = { name: this.name, trainable: this.trainable, dtype: 'float32' };
    if (this.batchInputShape !== null) c.batchInputShape = [...this.batchInputShape];
    if (this.seed !== undefined) c.seed = this.seed;
    return c;
  }
}

function declaredInputShape(args: LayerArgs, where: string): (number | null)[] | null {
  const given = ['inputShape', 'batchInputShape', 'inputDim'].filter((k) => (args as Record<string, unknown>)[k] !== undefined);
  if (given.length > 1) throw new RangeError(`${where}: give only one of ${given.join(', ')}`);
  const checkDims = (s: unknown, what: string, allowNullFirst: boolean): (number | null)[] => {
    if (!Array.isArray(s)) throw new TypeError(`${where}: ${what} must be an array of dimensions, got ${JSON.stringify(s)}`);
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

/** Validate the option keys of a layer's args. */
export function checkLayerOptions(args: object, own: readonly string[], where: string, later: Readonly<Record<string, string>> = {}): void {
  checkOptions(args, [...LAYER_ARG_KEYS, ...own], where, later);
}
