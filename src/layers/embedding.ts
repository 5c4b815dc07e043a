/**
 * Embedding: integer indices [B, L] → rows of the table `embeddings [inputDim, outputDim]`,
 * out [B, L, outputDim] (Keras 3 semantics; tfjs option names). Indices of any other shape
 * work too, as in Keras: [B] gives [B, outputDim], [B, d1, d2] gives [B, d1, d2, outputDim].
 * With maskZero the index 0 is padding: the layer passes on the step mask (index != 0) as
 * [B, L] (rnnkit's masks are per step: maskZero needs [B, L] indices).
 *
 * Contract: the input holds indices stored as floats (the model's input buffer); each
 * must be an integer in [0, inputDim) or forward throws a RangeError naming the layer,
 * the value and its [sample, step]. Backward scatters dy into the embeddings gradient
 * and has no input gradient (indices are not differentiable): asked for one, it throws.
 *
 * The time axis of [B, L] index input is its last (inputTime), so the model passes
 * T = L per batch: the sequence length may be left open (inputShape [null]).
 */
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from '../initializers/index.js';
import { getRegularizer, serializeRegularizer, type Regularizer, type RegularizerIdentifier } from '../regularizers/index.js';
import { getConstraint, serializeConstraint, type Constraint, type ConstraintIdentifier } from '../constraints/index.js';
import { checkBoolean, checkPositiveInt, show } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { Layer, checkLayerOptions, ensure, type LayerArgs, type LayerWeight, type Shape } from './layer.js';

export interface EmbeddingArgs extends Omit<LayerArgs, 'inputDim'> {
  /** Vocabulary size: indices lie in [0, inputDim). (Not the LayerArgs inputShape shorthand here.) */
  inputDim: number;
  /** Width of each embedding vector. */
  outputDim: number;
  /** Default 'randomUniform' (U(−0.05, 0.05), Keras 'uniform'). */
  embeddingsInitializer?: InitializerIdentifier | Initializer;
  /** Default none. */
  embeddingsRegularizer?: RegularizerIdentifier | Regularizer | null;
  /** Default none. */
  embeddingsConstraint?: ConstraintIdentifier | Constraint | null;
  /** Treat index 0 as padding and pass on the mask (index != 0). Default false. */
  maskZero?: boolean;
  /** Sequence length (tfjs): shorthand for inputShape [inputLength]. Default: from inputShape or the data. */
  inputLength?: number | readonly number[] | null;
}

const OWN = ['inputDim', 'outputDim', 'embeddingsInitializer', 'embeddingsRegularizer', 'embeddingsConstraint', 'maskZero', 'inputLength', 'seed'] as const;

const LATER = {
  activityRegularizer: 'activity regularizers are not implemented',
  loraRank: 'LoRA is not implemented',
  loraAlpha: 'LoRA is not implemented',
  sparse: 'sparse embedding gradients are not implemented (the gradient is dense)',
};

export class Embedding extends Layer {
  readonly className = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitializer: Initializer;
  readonly embeddingsRegularizer: Regularizer | null;
  readonly embeddingsConstraint: Constraint | null;
  readonly maskZero: boolean;
  /** The inputLength option as given (null when not given). */
  readonly inputLength: number | null;
  private embeddings!: LayerWeight;
  private L = 0; // sequence length of the last forward (T)
  /** Values per step: the product of the index shape's axes after the first (1 for [B, L] and [B]). */
  private perStep = 1;
  private idx: Int32Array = new Int32Array(0); // [B, L] indices of the last forward
  private out: Float32Array = new Float32Array(0); // [B, L, E]
  private maskBuf: Float32Array = new Float32Array(0); // [B, L] index != 0

  constructor(args: EmbeddingArgs) {
    const a = args ?? ({} as EmbeddingArgs);
    const length = inputLengthOf(a.inputLength, `Embedding layer${typeof a.name === 'string' ? ` '${a.name}'` : ''}: inputLength`);
    // LayerArgs.inputDim means "inputShape [inputDim]"; here it is the vocabulary size.
    const base: LayerArgs = { ...(a as LayerArgs), inputDim: undefined };
    if (length !== null && a.inputShape === undefined && a.batchInputShape === undefined) base.inputShape = [length];
    super(base, 'embedding');
    checkLayerOptions(a, OWN, this.where, LATER);
    this.inputDim = checkPositiveInt(a.inputDim, `${this.where}: inputDim`);
    this.outputDim = checkPositiveInt(a.outputDim, `${this.where}: outputDim`);
    this.embeddingsInitializer = getInitializer(a.embeddingsInitializer ?? 'randomUniform', `${this.where}: embeddingsInitializer`);
    this.embeddingsRegularizer = getRegularizer(a.embeddingsRegularizer, `${this.where}: embeddingsRegularizer`);
    this.embeddingsConstraint = getConstraint(a.embeddingsConstraint, `${this.where}: embeddingsConstraint`);
    this.maskZero = a.maskZero === undefined ? false : checkBoolean(a.maskZero, `${this.where}: maskZero`);
    this.inputLength = length;
    // tfjs configs carry inputLength beside batchInputShape: accept both when they agree.
    if (length !== null && this.batchInputShape !== null) {
      const declared = this.batchInputShape.slice(1);
      if (declared.length !== 1 || (declared[0] !== null && declared[0] !== length)) {
        throw new RangeError(`${this.where}: inputLength ${length} disagrees with the declared input shape ${formatShape(this.batchInputShape)}`);
      }
    }
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.slice(1).some((d) => d === null)) {
      throw new RangeError(`${this.where}: only the first axis after the batch may be left open, got indices of shape ${formatShape([null, ...inputShape])}`);
    }
    if (this.maskZero && inputShape.length !== 1) {
      throw new RangeError(`${this.where}: maskZero needs indices of shape [batch, sequenceLength] (a mask is per step), got ${formatShape([null, ...inputShape])}`);
    }
    this.perStep = (inputShape.slice(1) as number[]).reduce((a, b) => a * b, 1);
    return [...inputShape, this.outputDim];
  }

  protected createWeights(_inputShape: Shape, rng: Rng): void {
    this.embeddings = this.addWeight('embeddings', [this.inputDim, this.outputDim], this.embeddingsInitializer, rng, {
      regularizer: this.embeddingsRegularizer,
      constraint: this.embeddingsConstraint,
    });
  }

  /** x: [B, T, …] indices (T: the first axis's length in this batch, 1 for [B]); returns [B, T, …, outputDim]. */
  forward(x: Float32Array, B: number, T: number, _training: boolean, _mask: Float32Array | null): Float32Array {
    const L = T * this.perStep;
    this.L = L;
    const E = this.outputDim;
    const V = this.inputDim;
    const n = B * L;
    this.idx = ensureInt(this.idx, n);
    this.out = ensure(this.out, n * E);
    const idx = this.idx;
    const out = this.out;
    const W = this.embeddings.value;
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const j = v | 0;
      // j !== v catches fractions, NaN and values past int32; the range check the rest.
      if (j !== v || j < 0 || j >= V) this.badIndex(x, i);
      idx[i] = j;
      const src = j * E;
      const dst = i * E;
      for (let e = 0; e < E; e++) out[dst + e] = W[src + e]!;
    }
    if (this.maskZero) {
      this.maskBuf = ensure(this.maskBuf, n);
      const m = this.maskBuf;
      for (let i = 0; i < n; i++) m[i] = idx[i] === 0 ? 0 : 1;
    }
    return out;
  }

  private badIndex(x: Float32Array, i: number): never {
    const v = x[i]!;
    const where = `[sample ${Math.floor(i / this.L)}, ${this.perStep === 1 ? 'step' : 'position'} ${i % this.L}]`;
    const what = Number.isInteger(v) ? 'is out of range' : 'is not an integer index';
    throw new RangeError(`${this.where}: index ${v} at ${where} ${what}; indices must be integers in [0, ${this.inputDim})`);
  }

  /** dEmbeddings[idx[b, t]] += dy[b, t]; no input gradient. */
  backward(dy: Float32Array, B: number, _T: number, needDx: boolean): Float32Array | null {
    if (needDx) {
      throw new RangeError(`${this.where}: an Embedding has no gradient for its input (integer indices); it must be the first layer of the model`);
    }
    const E = this.outputDim;
    const n = B * this.L;
    const idx = this.idx;
    const g = this.embeddings.grad;
    for (let i = 0; i < n; i++) {
      const dst = idx[i]! * E;
      const src = i * E;
      for (let e = 0; e < E; e++) g[dst + e] = g[dst + e]! + dy[src + e]!;
    }
    return null;
  }

  /** [batch] indices give [batch, outputDim], as in Keras. */
  protected override takesScalars(): boolean {
    return true;
  }

  /** Integer indices have no gradient. */
  override hasInputGradient(): boolean {
    return false;
  }

  /** maskZero: the [B, L] mask (index != 0) of the last forward; otherwise null (the incoming mask ends here). */
  override outputMask(_inputMask: Float32Array | null): Float32Array | null {
    return this.maskZero ? this.maskBuf : null;
  }

  override outputTime(T: number): number {
    return T;
  }

  /** The time axis of index input is its first after the batch ([B, L]: L; [B]: 1). */
  override inputTime(sampleShape: readonly number[]): number {
    return sampleShape[0] ?? 1;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: serializeInitializer(this.embeddingsInitializer),
      embeddingsRegularizer: this.embeddingsRegularizer === null ? null : serializeRegularizer(this.embeddingsRegularizer),
      embeddingsConstraint: this.embeddingsConstraint === null ? null : serializeConstraint(this.embeddingsConstraint),
      maskZero: this.maskZero,
      inputLength: this.inputLength,
    };
  }
}

function inputLengthOf(v: unknown, what: string): number | null {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) {
    if (v.length !== 1) throw new RangeError(`${what}: only one sequence axis is supported, got ${show(v)}`);
    return checkPositiveInt(v[0], what);
  }
  return checkPositiveInt(v, what);
}

function ensureInt(buf: Int32Array, n: number): Int32Array {
  return buf.length >= n ? buf : new Int32Array(n);
}

/** `layers.embedding({inputDim, outputDim, maskZero, …})`. */
export function embedding(args: EmbeddingArgs): Embedding {
  return new Embedding(args);
}
