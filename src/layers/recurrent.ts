/**
 * The recurrent layer shell shared by SimpleRNN, LSTM and GRU: Keras semantics for
 * returnSequences, returnState, goBackwards, masking, variational dropout, stateful
 * state, regularizers and constraints. Subclasses own the cell: their weights and the
 * forward/backward kernel calls over the time-major caches this shell prepares.
 *
 * Data flow of one forward: batch-major x [B, T, I] → time-major xs [T, B, I] in
 * processing order (reversed for goBackwards), times the input-dropout mask → cell
 * kernels → hs [T, B, H] → output (every step, batch-major, in processing order as
 * Keras returns it; or the last step). Backward retraces it.
 */
import { backend, type ActId, type Kernels } from '../backend/kernels.js';
import { activationName, getActivation, type ActivationIdentifier } from '../activations/index.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from '../initializers/index.js';
import { getRegularizer, serializeRegularizer, type Regularizer, type RegularizerIdentifier } from '../regularizers/index.js';
import { getConstraint, serializeConstraint, type Constraint, type ConstraintIdentifier } from '../constraints/index.js';
import { checkBoolean, checkNumberIn, checkPositiveInt, show } from '../core/errors.js';
import { Tensor, formatShape } from '../core/tensor.js';
import { Rng, mixSeeds, nextSeed } from '../core/rng.js';
import { applyStepMask, type RecurrentCache, type RecurrentCacheGrads, type RecurrentDims, type RecurrentMasks, type RecurrentWeights, type StateEnds } from '../backend/recurrent.js';
import { Layer, checkLayerOptions, ensure, ensureAll, type LayerArgs, type LayerWeight, type Shape } from './layer.js';
import type { CallSpec, NodeIO } from './node.js';

/** Options of every recurrent layer (tfjs spellings, Keras 3 defaults). */
export interface RecurrentArgs extends LayerArgs {
  /** Size of the hidden state. */
  units: number;
  /** Default 'tanh'. */
  activation?: ActivationIdentifier | null;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform' (Keras; tfjs defaults to glorotNormal). */
  kernelInitializer?: InitializerIdentifier | Initializer;
  /** Default 'orthogonal'. */
  recurrentInitializer?: InitializerIdentifier | Initializer;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier | Initializer;
  kernelRegularizer?: RegularizerIdentifier | Regularizer | null;
  recurrentRegularizer?: RegularizerIdentifier | Regularizer | null;
  biasRegularizer?: RegularizerIdentifier | Regularizer | null;
  kernelConstraint?: ConstraintIdentifier | Constraint | null;
  recurrentConstraint?: ConstraintIdentifier | Constraint | null;
  biasConstraint?: ConstraintIdentifier | Constraint | null;
  /** Fraction of input units dropped in training; one mask per batch, reused at every step. Default 0. */
  dropout?: number;
  /** Fraction of recurrent units dropped in training (same mask every step). Default 0. */
  recurrentDropout?: number;
  /** Return the output at every step ([B, T, units]) instead of the last ([B, units]). Default false. */
  returnSequences?: boolean;
  /** A call also returns the final states: [output, h] (SimpleRNN, GRU) or [output, h, c] (LSTM). Default false. */
  returnState?: boolean;
  /** Process the sequence from its last step; the returned sequence is in processing order. Default false. */
  goBackwards?: boolean;
  /**
   * Carry the final state of each batch into the next. Every batch must then have one size:
   * the declared one (batchInputShape, or batchSize with inputShape), else the size of the
   * first batch the layer sees (as Keras 3). Default false.
   */
  stateful?: boolean;
  /** Accepted for Keras compatibility: unrolling changes nothing numerically here. Default false. */
  unroll?: boolean;
  /**
   * Accepted for Keras/tfjs compatibility: 1 or 2 (and Keras 2.0's legacy 0, read as 1);
   * all compute the same numbers here.
   */
  implementation?: 0 | 1 | 2;
  /**
   * With a mask: the output at a masked step is zeros instead of the previous step's output
   * (Keras `zero_output_for_mask`). It applies to the last output too (zeros when the last
   * step is masked, as Keras's rnn loop gives). Bidirectional sets it to returnSequences on
   * its two copies, as Keras does. Default false.
   */
  zeroOutputForMask?: boolean;
}

export const RECURRENT_OPTIONS = [
  'units',
  'activation',
  'useBias',
  'kernelInitializer',
  'recurrentInitializer',
  'biasInitializer',
  'kernelRegularizer',
  'recurrentRegularizer',
  'biasRegularizer',
  'kernelConstraint',
  'recurrentConstraint',
  'biasConstraint',
  'dropout',
  'recurrentDropout',
  'returnSequences',
  'returnState',
  'goBackwards',
  'stateful',
  'unroll',
  'implementation',
  'zeroOutputForMask',
  'seed',
] as const;

const LATER = {
  activityRegularizer: 'activity regularizers are not implemented',
  inputLength: 'give inputShape: [timeSteps, features] instead',
  useCudnn: 'rnnkit has its own fused kernels; there is no cuDNN to choose',
};

/**
 * Inference (training false) keeps the per-step caches of about inferenceChunkFloats floats at
 * once, in chunks of steps: a predict over a long sequence then needs memory for its inputs and outputs,
 * not 12 caches of [T, B, H], and the caches stay in the processor's cache. At least
 * MIN_INFERENCE_CHUNK steps, so the input product per chunk stays a large GEMM and the per-call
 * work (packing the recurrent kernel) is spread over enough steps.
 */
let inferenceChunkFloats = 1 << 19;
const MIN_INFERENCE_CHUNK = 16;

/** @internal The tests' switch: cache floats per inference chunk (null: the default, 2^19); 0 gives chunks of MIN_INFERENCE_CHUNK steps. */
export function setInferenceChunkFloats(n: number | null): void {
  inferenceChunkFloats = n ?? 1 << 19;
}

/** Steps per inference chunk (12 cache floats per unit and step: LSTM's, the largest), or T. */
function inferenceChunk(T: number, B: number, H: number): number {
  return Math.min(T, Math.max(MIN_INFERENCE_CHUNK, Math.floor(inferenceChunkFloats / (12 * B * H))));
}

export abstract class Recurrent extends Layer {
  readonly units: number;
  readonly activation: ActId;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly recurrentInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly recurrentRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly recurrentConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  readonly unroll: boolean;
  readonly implementation: 1 | 2;
  readonly zeroOutputForMask: boolean;
  /** Number of states: 1 (h), or 2 for LSTM (h, c). */
  protected abstract readonly stateCount: number;
  protected k: Kernels = backend();
  protected inputDim = 0;
  private dropoutRng: Rng | null = null;
  private dropoutSeed = 0;
  // time-major caches shared by every cell, [T, B, ·] in processing order
  protected xs: Float32Array = new Float32Array(0);
  protected hs: Float32Array = new Float32Array(0);
  protected hPrev: Float32Array = new Float32Array(0);
  /** Initial states [B, H] each (zeros, or the carried state when stateful). */
  protected states0: Float32Array[] = [];
  /** states0 holds a carried (stream or stateful) state that the next uncarried call must clear. */
  private states0Dirty = false;
  protected inputMask: Float32Array | null = null; // [B, I] dropout mask, or null
  protected recurrentMask: Float32Array | null = null; // [B, H]
  protected stepMask: Float32Array | null = null; // [T, B] time-major mask, or null
  private stepMaskBuf: Float32Array = new Float32Array(0);
  private inputMaskBuf: Float32Array = new Float32Array(0);
  private recurrentMaskBuf: Float32Array = new Float32Array(0);
  private y: Float32Array = new Float32Array(0);
  /** [dropout, recurrentDropout] */
  private readonly rates = new Float64Array(2);
  private dOutTM: Float32Array = new Float32Array(0);
  private dxs: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);
  /** Carried states for stateful layers, [B, H] each. */
  private carried: Float32Array[] = [];
  private statefulBatch = 0;
  private lastT = 0;
  private lastB = 0;
  /** The last forward was a stream's fused step (its states are the stream's buffers). */
  private lastFused = false;
  /** The last forward ran in chunks (forwardInChunks): the caches hold its last chunk only. */
  private cachesCut = false;
  /** The states carried from one chunk to the next, [B, H] each. */
  private chunkStates: Float32Array[] = [];
  /** The options this layer was made with (Bidirectional clones it from them). */
  readonly args: RecurrentArgs;
  /**
   * States supplied from outside (a Stream): used as the initial states and
   * overwritten with the final ones after each forward, for any batch size.
   */
  externalStates: Float32Array[] | null = null;
  /** Initial states given to the current call (its initialState inputs, [B, H] each), or null. */
  private callStates: Float32Array[] | null = null;
  /** The final states of the last forward as their own [B, H] buffers (returnState outputs). */
  private finalStates: Float32Array[] = [];
  /** Gradients of the initial states (backward of an initialState call). */
  private dStates0: Float32Array[] = [];
  /** The state-gradient ends the cell kernels read and write (reused; null when a call has none). */
  protected ends: StateEnds | null = null;
  private readonly endsBuf: StateEnds = { dhT: null, dcT: null, dh0: null, dc0: null };
  private readonly givenStates: Float32Array[] = [];
  /** The kernels' masks (backend/recurrent.ts): built once, its fields rewritten per call. */
  protected readonly masks: RecurrentMasks = { recurrent: null, step: null };

  protected constructor(args: RecurrentArgs, prefix: string, className: string, ownOptions: readonly string[]) {
    super(args ?? {}, prefix);
    this.args = { ...args };
    const w = `${className} '${this.name}'`;
    checkLayerOptions(args, [...RECURRENT_OPTIONS, ...ownOptions], w, LATER);
    this.units = checkPositiveInt(args.units, `${w}: units`);
    this.activation = getActivation(args.activation, 'tanh', w);
    this.useBias = optBool(args.useBias, true, `${w}: useBias`);
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotUniform', `${w}: kernelInitializer`);
    this.recurrentInitializer = getInitializer(args.recurrentInitializer ?? 'orthogonal', `${w}: recurrentInitializer`);
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros', `${w}: biasInitializer`);
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, `${w}: kernelRegularizer`);
    this.recurrentRegularizer = getRegularizer(args.recurrentRegularizer, `${w}: recurrentRegularizer`);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, `${w}: biasRegularizer`);
    this.kernelConstraint = getConstraint(args.kernelConstraint, `${w}: kernelConstraint`);
    this.recurrentConstraint = getConstraint(args.recurrentConstraint, `${w}: recurrentConstraint`);
    this.biasConstraint = getConstraint(args.biasConstraint, `${w}: biasConstraint`);
    this.dropout = args.dropout === undefined ? 0 : checkNumberIn(args.dropout, 0, 1, `${w}: dropout`, { hiOpen: true });
    this.recurrentDropout = args.recurrentDropout === undefined ? 0 : checkNumberIn(args.recurrentDropout, 0, 1, `${w}: recurrentDropout`, { hiOpen: true });
    this.returnSequences = optBool(args.returnSequences, false, `${w}: returnSequences`);
    this.returnState = optBool(args.returnState, false, `${w}: returnState`);
    this.goBackwards = optBool(args.goBackwards, false, `${w}: goBackwards`);
    this.stateful = optBool(args.stateful, false, `${w}: stateful`);
    this.unroll = optBool(args.unroll, false, `${w}: unroll`);
    // implementation 0 is Keras 2.0's default, written into every recurrent layer's config
    // until 2.0.8; later Keras and tf.keras read it as 1 in LSTM and GRU with a warning and
    // drop it from SimpleRNN. The numbers are the same whichever it is.
    const legacyZero = args.implementation === 0;
    if (args.implementation !== undefined && args.implementation !== 1 && args.implementation !== 2 && !legacyZero) {
      throw new RangeError(`${w}: implementation must be 1 or 2 (or the legacy 0), got ${show(args.implementation)}`);
    }
    this.implementation = legacyZero ? 1 : (args.implementation as 1 | 2 | undefined) ?? 2;
    this.zeroOutputForMask = optBool(args.zeroOutputForMask, false, `${w}: zeroOutputForMask`);
    this.rates[0] = this.dropout;
    this.rates[1] = this.recurrentDropout;
    // 0 until the first batch fixes it, when none is declared.
    if (this.stateful) this.statefulBatch = this.batchInputShape?.[0] ?? 0;
  }

  /** [output] or, with returnState, [output, ...final states]; initial states, when given, are [units] each. */
  override computeOutputShapes(inputShapes: readonly Shape[], call: CallSpec): Shape[] {
    const main = inputShapes.length - call.stateCount;
    if (main !== 1) throw new RangeError(`${this.where}: takes one input sequence (and initialState), got ${main} inputs`);
    if (call.stateCount > 0) this.checkStateShapes(inputShapes.slice(1), 'initialState');
    const out = this.computeOutputShape(inputShapes[0]!);
    return this.returnState ? [out, ...Array.from({ length: this.stateCount }, (): Shape => [this.units])] : [out];
  }

  /** Initial states must be [units] each, as many as the cell has. */
  protected checkStateShapes(shapes: readonly Shape[], what: string): void {
    const names = this.stateCount === 2 ? '[h, c]' : '[h]';
    if (shapes.length !== this.stateCount) throw new RangeError(`${this.where}: ${what} needs ${this.stateCount} state${this.stateCount > 1 ? 's' : ''} ${names}, got ${shapes.length}`);
    shapes.forEach((s, i) => {
      if (s.length !== 1 || (s[0] !== null && s[0] !== this.units)) {
        throw new RangeError(`${this.where}: ${what}[${i}] must have shape [batch, ${this.units}], got ${formatShape([null, ...s])}`);
      }
    });
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2) {
      throw new RangeError(`${this.where}: expected input of rank 3 [batch, time, features], got ${formatShape([null, ...inputShape])}`);
    }
    if (inputShape[1] === null) throw new RangeError(`${this.where}: the feature dimension must be known, got ${formatShape([null, ...inputShape])}`);
    return this.returnSequences ? [inputShape[0]!, this.units] : [this.units];
  }

  protected createWeights(inputShape: Shape, rng: Rng): void {
    this.inputDim = inputShape[1]!;
    this.createCellWeights(this.inputDim, rng);
    this.k = backend();
    this.dropoutSeed = this.seed === undefined ? nextSeed() : this.seed + 1;
    this.dropoutRng = new Rng(this.dropoutSeed);
    if (this.stateful) this.carried = Array.from({ length: this.stateCount }, () => new Float32Array(this.statefulBatch * this.units));
  }

  /** A stateful layer without a declared batch size takes the first batch's. */
  private fixStatefulBatch(B: number): void {
    this.statefulBatch = B;
    this.carried = Array.from({ length: this.stateCount }, () => new Float32Array(B * this.units));
  }

  /** Create kernel, recurrent_kernel and bias (Keras order and layouts). */
  protected abstract createCellWeights(I: number, rng: Rng): void;
  /** Grow the cell's own caches for T steps of B rows. */
  protected abstract ensureCell(T: number, B: number): void;
  /** Run the cell over xs → hs (and its own caches). */
  protected abstract cellForward(T: number, B: number): void;
  /** Backward of cellForward: weight gradients accumulated; dxs written when given. */
  protected abstract cellBackward(T: number, B: number, dOut: Float32Array | null, dxs: Float32Array | null): void;
  /**
   * One inference step of x [B, I] on `states` (h first; [B, H] each), updated in place,
   * where the cell and backend have a fused step; false to run the time loop instead.
   */
  /**
   * Point the structs the cell kernels take at this call's buffers: dims, masks and the
   * caches every cell shares (field writes, so a call allocates nothing; buffers a call
   * re-allocates are picked up by the next).
   */
  protected callStructs<D extends RecurrentDims>(T: number, B: number, c: RecurrentCache, d: D): D {
    d.T = T;
    d.B = B;
    d.I = this.inputDim;
    d.H = this.units;
    d.act = this.activation;
    this.masks.recurrent = this.recurrentMask;
    this.masks.step = this.stepMask;
    c.xs = this.xs;
    c.h0 = this.states0[0]!;
    c.hs = this.hs;
    c.hPrev = this.hPrev;
    return d;
  }

  /** A weights struct pointed at these weights' values, or (grad) at their gradients. */
  protected pointWeights(w: RecurrentWeights, kernel: LayerWeight, recurrentKernel: LayerWeight, bias: LayerWeight | null, grad: boolean): RecurrentWeights {
    w.kernel = grad ? kernel.grad : kernel.value;
    w.recurrentKernel = grad ? recurrentKernel.grad : recurrentKernel.value;
    w.bias = bias === null ? null : grad ? bias.grad : bias.value;
    return w;
  }

  /** callStructs for backward: the gradients in and out every cell shares. */
  protected callGrads(g: RecurrentCacheGrads, dOut: Float32Array | null, dxs: Float32Array | null): void {
    g.dOut = dOut;
    g.dxs = dxs;
    g.returnSequences = this.returnSequences;
    g.ends = this.ends;
  }

  protected stepInPlace(_x: Float32Array, _states: Float32Array[], _B: number): boolean {
    return false;
  }
  /** The [T, B, H] cache of state i (0 = h, 1 = c for LSTM). */
  protected abstract stateCache(i: number): Float32Array;

  /** Where the final value of state i lies after the last forward: its last [B, H] slab (the stream's own state after a fused step). */
  private finalState(i: number): { buf: Float32Array; off: number } {
    if (this.lastFused) return { buf: this.externalStates![i]!, off: 0 };
    return { buf: this.stateCache(i), off: (this.lastT - 1) * this.lastB * this.units };
  }

  /** Options for addWeight from this layer's regularizers and constraints. */
  protected weightOptions(which: 'kernel' | 'recurrent' | 'bias'): { regularizer: Regularizer | null; constraint: Constraint | null } {
    if (which === 'kernel') return { regularizer: this.kernelRegularizer, constraint: this.kernelConstraint };
    if (which === 'recurrent') return { regularizer: this.recurrentRegularizer, constraint: this.recurrentConstraint };
    return { regularizer: this.biasRegularizer, constraint: this.biasConstraint };
  }

  forward(x: Float32Array, B: number, T: number, training: boolean, mask: Float32Array | null): Float32Array {
    const H = this.units;
    const I = this.inputDim;
    // A stream's single step: the cell's fused step on the stream's state, in place.
    // The output is the stream's h itself: the next layer reads it before the next step
    // changes it, and Stream.step returns a copy of the model's output.
    if (T === 1 && !training && this.externalStates !== null && this.callStates === null && noneMasked(mask, B) && this.stepInPlace(x, this.externalStates, B)) {
      this.lastFused = true;
      return this.externalStates[0]!;
    }
    this.lastFused = false;
    if (this.stateful && this.statefulBatch === 0) this.fixStatefulBatch(B);
    if (this.stateful && B !== this.statefulBatch) {
      throw new RangeError(`${this.where}: this stateful layer was built for batches of ${this.statefulBatch} samples, got a batch of ${B}`);
    }
    // Inference runs the sequence in chunks of steps (inferenceChunk): the caches hold one chunk.
    const chunk = training ? T : inferenceChunk(T, B, H);
    this.xs = ensure(this.xs, T * B * I);
    this.hs = ensure(this.hs, chunk * B * H);
    this.hPrev = ensure(this.hPrev, chunk * B * H);
    this.y = ensure(this.y, B * (this.returnSequences ? T : 1) * H);
    this.states0 = ensureAll(this.states0, this.stateCount, B * H);
    this.ensureCell(chunk, B);
    this.lastT = T;
    this.lastB = B;
    const k = this.k;
    k.toTimeMajor(this.xs, x, B, T, I, this.goBackwards);
    this.setMasks(B, T, training, mask);
    if (this.inputMask !== null) applyStepMask(this.xs, this.inputMask, T, B * I);
    // The carried state (a stream's, or a stateful layer's) continues unless the call gives its own.
    const carried = this.externalStates ?? (this.stateful ? this.carried : null);
    const from = this.callStates ?? carried;
    if (from !== null) {
      for (let i = 0; i < this.stateCount; i++) copy(this.states0[i]!, from[i]!, 0, B * H);
      this.states0Dirty = true;
    } else if (this.states0Dirty) {
      // A stream or stateful call left its state here: an ordinary call starts from zeros.
      for (const s of this.states0) s.fill(0);
      this.states0Dirty = false;
    }
    if (chunk === T) {
      this.cellForward(T, B);
      this.cachesCut = false;
      if (this.returnSequences) k.fromTimeMajor(this.y, this.hs, B, T, H, false);
      else copy(this.y, this.hs, (T - 1) * B * H, B * H);
    } else {
      this.forwardInChunks(T, B, chunk);
    }
    if (this.zeroOutputForMask && this.stepMask !== null) zeroMaskedOutputs(this.y, this.stepMask, B, T, H, this.returnSequences, false);
    if (carried !== null) {
      for (let i = 0; i < this.stateCount; i++) {
        const f = this.finalState(i);
        copy(carried[i]!, f.buf, f.off, B * H);
      }
    }
    return this.y;
  }

  /**
   * The cell over the sequence chunk by chunk, each chunk's initial states the last one's final
   * states: the same steps as one pass (each step's arithmetic is the same), with caches the size
   * of a chunk. The output is gathered chunk by chunk; the final states are the last chunk's
   * last slab (lastT is set to its length). Backward needs every step's cache: it runs the
   * whole pass again first (cachesCut).
   */
  private forwardInChunks(T: number, B: number, chunk: number): void {
    const H = this.units;
    const I = this.inputDim;
    const slab = B * H;
    const [xs, step, first] = [this.xs, this.stepMask, this.states0];
    this.chunkStates = ensureAll(this.chunkStates, this.stateCount, slab);
    try {
      for (let t0 = 0; t0 < T; t0 += chunk) {
        const n = Math.min(chunk, T - t0);
        this.xs = xs.subarray(t0 * B * I, (t0 + n) * B * I);
        this.stepMask = step === null ? null : step.subarray(t0 * B, (t0 + n) * B);
        this.states0 = t0 === 0 ? first : this.chunkStates;
        this.cellForward(n, B);
        const hs = this.hs;
        const y = this.y;
        if (this.returnSequences) {
          for (let t = 0; t < n; t++) {
            for (let b = 0; b < B; b++) {
              const from = (t * B + b) * H;
              const to = (b * T + t0 + t) * H;
              for (let j = 0; j < H; j++) y[to + j] = hs[from + j]!;
            }
          }
        } else if (t0 + n === T) {
          copy(y, hs, (n - 1) * slab, slab);
        }
        for (let i = 0; i < this.stateCount; i++) copy(this.chunkStates[i]!, this.stateCache(i), (n - 1) * slab, slab);
        this.lastT = n;
      }
    } finally {
      this.xs = xs;
      this.stepMask = step;
      this.states0 = first;
    }
    this.cachesCut = true;
  }

  /** Draw this batch's dropout masks and convert the step mask to time-major. */
  private setMasks(B: number, T: number, training: boolean, mask: Float32Array | null): void {
    const H = this.units;
    const I = this.inputDim;
    this.inputMask = null;
    this.recurrentMask = null;
    if (training && this.dropout > 0) {
      this.inputMaskBuf = ensure(this.inputMaskBuf, B * I);
      fillDropoutMask(this.inputMaskBuf, B * I, this.rates, 0, this.dropoutRng!);
      this.inputMask = this.inputMaskBuf;
    }
    if (training && this.recurrentDropout > 0) {
      this.recurrentMaskBuf = ensure(this.recurrentMaskBuf, B * H);
      fillDropoutMask(this.recurrentMaskBuf, B * H, this.rates, 1, this.dropoutRng!);
      this.recurrentMask = this.recurrentMaskBuf;
    }
    this.stepMask = null;
    if (mask !== null) {
      this.stepMaskBuf = ensure(this.stepMaskBuf, T * B);
      this.k.toTimeMajor(this.stepMaskBuf, mask, B, T, 1, this.goBackwards);
      this.stepMask = this.stepMaskBuf;
    }
  }

  /** dy null: no gradient reaches the output (only the final states', through `ends`). */
  backward(dy: Float32Array | null, B: number, T: number, needDx: boolean): Float32Array | null {
    const H = this.units;
    const I = this.inputDim;
    const k = this.k;
    if (this.cachesCut) {
      // The forward ran in inference chunks (a layer called with training false inside a trained
      // graph): every step's cache again, from the same inputs, initial states and masks.
      this.hs = ensure(this.hs, T * B * H);
      this.hPrev = ensure(this.hPrev, T * B * H);
      this.ensureCell(T, B);
      this.cellForward(T, B);
      this.lastT = T;
      this.cachesCut = false;
    }
    let dOut = dy;
    if (this.returnSequences && dy !== null) {
      this.dOutTM = ensure(this.dOutTM, T * B * H);
      k.toTimeMajor(this.dOutTM, dy, B, T, H, false);
      dOut = this.dOutTM;
    } else if (dy !== null && this.zeroOutputForMask && this.stepMask !== null) {
      this.dOutTM = ensure(this.dOutTM, B * H);
      copy(this.dOutTM, dy, 0, B * H);
      dOut = this.dOutTM;
    }
    // A zeroed output is a constant: no gradient flows back from it.
    if (dOut !== null && this.zeroOutputForMask && this.stepMask !== null) zeroMaskedOutputs(dOut, this.stepMask, B, T, H, this.returnSequences, true);
    if (needDx) {
      this.dxs = ensure(this.dxs, T * B * I);
      this.dx = ensure(this.dx, B * T * I);
    }
    this.cellBackward(T, B, dOut, needDx ? this.dxs : null);
    if (!needDx) return null;
    // xs = x ⊙ inputMask  =>  dx = dxs ⊙ inputMask
    if (this.inputMask !== null) applyStepMask(this.dxs, this.inputMask, T, B * I);
    k.fromTimeMajor(this.dx, this.dxs, B, T, I, this.goBackwards);
    return this.dx;
  }

  override outputTime(T: number): number {
    return this.returnSequences ? T : 1;
  }

  /** A call with initial states and/or state outputs: inputs [x, ...states], outputs [y, ...finalStates]. */
  override forwardNode(io: NodeIO): void {
    const B = io.B;
    const H = this.units;
    const T = io.xTime[0]!;
    const mask = io.xMasks[0]!;
    // A stream's state is the state: the stream loads given initial states into it itself.
    if (io.call.stateCount > 0 && this.externalStates === null) {
      this.givenStates.length = 0;
      for (let i = 1; i <= this.stateCount; i++) this.givenStates.push(io.xs[i]!);
      this.callStates = this.givenStates;
    }
    try {
      io.ys[0] = this.forward(io.xs[0]!, B, T, io.training, mask);
    } finally {
      this.callStates = null;
    }
    io.yMasks[0] = this.outputMask(mask);
    io.yTime[0] = this.outputTime(T);
    if (!this.returnState) return;
    this.finalStates = ensureAll(this.finalStates, this.stateCount, B * H);
    for (let i = 0; i < this.stateCount; i++) {
      const f = this.finalState(i);
      copy(this.finalStates[i]!, f.buf, f.off, B * H);
      io.ys[1 + i] = this.finalStates[i]!;
      io.yMasks[1 + i] = null;
      io.yTime[1 + i] = 1;
    }
  }

  override backwardNode(io: NodeIO): void {
    const B = io.B;
    const H = this.units;
    const ends = this.endsBuf;
    ends.dhT = this.returnState ? io.dys[1]! : null;
    ends.dcT = this.returnState && this.stateCount === 2 ? io.dys[2]! : null;
    const wantStates = io.call.stateCount > 0 && io.needDx[1] === 1;
    if (wantStates) this.dStates0 = ensureAll(this.dStates0, this.stateCount, B * H);
    ends.dh0 = wantStates ? this.dStates0[0]! : null;
    ends.dc0 = wantStates && this.stateCount === 2 ? this.dStates0[1]! : null;
    this.ends = ends.dhT !== null || ends.dcT !== null || ends.dh0 !== null ? ends : null;
    try {
      io.dxs[0] = this.backward(io.dys[0]!, B, io.xTime[0]!, io.needDx[0] === 1);
    } finally {
      this.ends = null;
    }
    for (let i = 1; i <= io.call.stateCount; i++) io.dxs[i] = wantStates ? this.dStates0[i - 1]! : null;
  }


  override outputMask(inputMask: Float32Array | null): Float32Array | null {
    return this.returnSequences ? inputMask : null;
  }

  /** The batch size of a stateful layer: declared, or fixed by its first batch (0 when not stateful, or not yet fixed). */
  get statefulBatchSize(): number {
    return this.statefulBatch;
  }

  /** Number of state tensors: 1 (h), 2 for LSTM (h, c). */
  get numStates(): number {
    return this.stateCount;
  }

  /** A fresh layer of the same class and options, with some overridden (Bidirectional's copies). */
  cloneWith(overrides: Partial<RecurrentArgs>): Recurrent {
    const make = this.constructor as new (args: RecurrentArgs) => Recurrent;
    return new make({ ...this.args, ...overrides });
  }

  override beginEpoch(fitSeed: number, epoch: number): void {
    if (this.dropout > 0 || this.recurrentDropout > 0) this.dropoutRng = new Rng(mixSeeds(mixSeeds(this.dropoutSeed, fitSeed), epoch));
  }

  /** Zero the carried states of a stateful layer (Keras reset_states). */
  resetStates(): void {
    for (const c of this.carried) c.fill(0);
  }

  /** Alias of resetStates (Keras 3 spelling). */
  resetState(): void {
    this.resetStates();
  }

  /** The current carried states of a stateful layer, as [batch, units] Tensors (h, then c for LSTM). */
  getStates(): Tensor[] {
    return this.carried.map((c) => new Tensor(c.slice(), [this.statefulBatch, this.units]));
  }

  override getConfig(): Record<string, unknown> {
    const reg = (r: Regularizer | null): unknown => (r === null ? null : serializeRegularizer(r));
    const con = (c: Constraint | null): unknown => (c === null ? null : serializeConstraint(c));
    return {
      ...super.getConfig(),
      units: this.units,
      activation: activationName(this.activation),
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      recurrentInitializer: serializeInitializer(this.recurrentInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: reg(this.kernelRegularizer),
      recurrentRegularizer: reg(this.recurrentRegularizer),
      biasRegularizer: reg(this.biasRegularizer),
      kernelConstraint: con(this.kernelConstraint),
      recurrentConstraint: con(this.recurrentConstraint),
      biasConstraint: con(this.biasConstraint),
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      unroll: this.unroll,
      implementation: this.implementation,
      // Only when set: tfjs has no such option, and its readers take the config as is.
      ...(this.zeroOutputForMask ? { zeroOutputForMask: true } : {}),
    };
  }
}

function optBool(v: unknown, dflt: boolean, what: string): boolean {
  return v === undefined ? dflt : checkBoolean(v, what);
}

/**
 * Zero the outputs (or their gradients) at masked steps. stepMask is [T, B] in processing
 * order; out is the returned sequence [B, T, H] (batch-major, or [T, B, H] when timeMajor),
 * or without sequences the last step's [B, H].
 */
function zeroMaskedOutputs(out: Float32Array, stepMask: Float32Array, B: number, T: number, H: number, sequences: boolean, timeMajor: boolean): void {
  for (let b = 0; b < B; b++) {
    if (!sequences) {
      if (stepMask[(T - 1) * B + b] === 0) out.fill(0, b * H, (b + 1) * H);
      continue;
    }
    for (let t = 0; t < T; t++) {
      if (stepMask[t * B + b] !== 0) continue;
      const row = timeMajor ? t * B + b : b * T + t;
      out.fill(0, row * H, (row + 1) * H);
    }
  }
}

/** Whether no row of a one-step [B] mask is masked (a masked row must hold its state: the time loop does that). */
function noneMasked(mask: Float32Array | null, B: number): boolean {
  if (mask !== null) for (let b = 0; b < B; b++) if (mask[b] === 0) return false;
  return true;
}

/** dst[0..n) = src[from..from+n) without the view object subarray() would allocate. */
export function copy(dst: Float32Array, src: Float32Array, from: number, n: number): void {
  for (let i = 0; i < n; i++) dst[i] = src[from + i]!;
}

/**
 * Inverted dropout: kept entries scaled by 1/(1 − rate) so the expectation is unchanged.
 * The rate comes as rates[i]: a double passed as an argument would be boxed per call.
 */
export function fillDropoutMask(m: Float32Array, n: number, rates: Float64Array, i: number, rng: Rng): void {
  const rate = rates[i]!;
  const keep = 1 / (1 - rate);
  for (let i = 0; i < n; i++) m[i] = rng.uniform() < rate ? 0 : keep;
}
