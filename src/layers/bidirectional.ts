/**
 * Bidirectional (Keras 3): a forward copy and a backward copy (goBackwards flipped)
 * of a recurrent layer, built from its options; with returnSequences the backward
 * output is flipped back along time so both halves at position t refer to input step
 * t. Merge modes: concat (forward first), sum, mul, ave. Weights: the forward copy's,
 * then the backward copy's.
 */
import { checkOptions } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import { Layer, LAYER_ARG_KEYS, ensure, type LayerArgs, type Shape } from './layer.js';
import { Recurrent } from './recurrent.js';

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

export interface BidirectionalArgs extends LayerArgs {
  /** The recurrent layer to run both ways (its options are copied; the instance itself is not used). */
  layer: Recurrent;
  /** How to combine the two outputs. Default 'concat'. */
  mergeMode?: MergeMode;
}

const MERGE_MODES: readonly string[] = ['concat', 'sum', 'mul', 'ave'];

/** Seed offset of the backward copy, so the two copies start from different weights. */
const BACKWARD_SEED_OFFSET = 7919;

export class Bidirectional extends Layer {
  readonly className = 'Bidirectional';
  readonly forwardLayer: Recurrent;
  readonly backwardLayer: Recurrent;
  readonly mergeMode: MergeMode;
  private readonly returnSequences: boolean;
  private H = 0;
  private out: Float32Array = new Float32Array(0);
  private flipped: Float32Array = new Float32Array(0); // backward output in input order
  private dF: Float32Array = new Float32Array(0);
  private dBk: Float32Array = new Float32Array(0);
  private dBkFlipped: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);
  private fOut: Float32Array = new Float32Array(0);
  private bOut: Float32Array = new Float32Array(0);

  constructor(args: BidirectionalArgs) {
    const inner = args?.layer;
    const where = 'Bidirectional';
    if (!(inner instanceof Recurrent)) throw new TypeError(`${where}: 'layer' must be a recurrent layer (layers.lstm, layers.gru or layers.simpleRNN), got ${String(inner)}`);
    const own = { ...args };
    if (own.batchInputShape === undefined && own.inputShape === undefined && own.inputDim === undefined && inner.batchInputShape !== null) own.batchInputShape = [...inner.batchInputShape];
    super(own, 'bidirectional');
    checkOptions(args, [...LAYER_ARG_KEYS, 'layer', 'mergeMode'], `${where} '${this.name}'`, {
      backwardLayer: 'the backward copy is always made from the layer’s own options',
      inputLength: 'give inputShape: [timeSteps, features] instead',
    });
    const mode = args.mergeMode === undefined ? 'concat' : args.mergeMode;
    if (mode === null) throw new RangeError(`${this.where}: mergeMode null (a list of outputs) is not usable in a Sequential model; use 'concat', 'sum', 'mul' or 'ave'`);
    if (!MERGE_MODES.includes(mode)) throw new RangeError(`${this.where}: mergeMode must be one of ${MERGE_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
    if (inner.returnState) throw new RangeError(`${this.where}: a wrapped layer with returnState is not supported in a Sequential model`);
    this.mergeMode = mode as MergeMode;
    const seed = inner.args.seed;
    this.forwardLayer = inner.cloneWith({ name: `forward_${inner.name}` });
    this.backwardLayer = inner.cloneWith({
      name: `backward_${inner.name}`,
      goBackwards: !inner.goBackwards,
      ...(seed === undefined ? {} : { seed: seed + BACKWARD_SEED_OFFSET }),
    });
    this.returnSequences = inner.returnSequences;
  }

  computeOutputShape(inputShape: Shape): Shape {
    const f = this.forwardLayer.computeOutputShape(inputShape);
    const last = f[f.length - 1] as number;
    return [...f.slice(0, -1), this.mergeMode === 'concat' ? 2 * last : last];
  }

  protected createWeights(inputShape: Shape): void {
    this.forwardLayer.build(inputShape, this.initializing);
    this.backwardLayer.build(inputShape, this.initializing);
    // the copies' weight records themselves: the model's arena rebinds them in place
    this.weights.push(...this.forwardLayer.weights, ...this.backwardLayer.weights);
    this.H = this.forwardLayer.units;
  }

  forward(x: Float32Array, B: number, T: number, training: boolean, mask: Float32Array | null): Float32Array {
    const H = this.H;
    const steps = this.returnSequences ? T : 1;
    const rows = B * steps;
    this.fOut = this.forwardLayer.forward(x, B, T, training, mask);
    let b = this.backwardLayer.forward(x, B, T, training, mask);
    if (this.returnSequences) {
      // processing order → input order
      this.flipped = ensure(this.flipped, rows * H);
      flipTime(this.flipped, b, B, T, H);
      b = this.flipped;
    }
    this.bOut = b;
    const f = this.fOut;
    const width = this.mergeMode === 'concat' ? 2 * H : H;
    this.out = ensure(this.out, rows * width);
    const out = this.out;
    for (let r = 0; r < rows; r++) {
      const o = r * width;
      const i = r * H;
      switch (this.mergeMode) {
        case 'concat':
          for (let j = 0; j < H; j++) {
            out[o + j] = f[i + j]!;
            out[o + H + j] = b[i + j]!;
          }
          break;
        case 'sum':
          for (let j = 0; j < H; j++) out[o + j] = f[i + j]! + b[i + j]!;
          break;
        case 'mul':
          for (let j = 0; j < H; j++) out[o + j] = f[i + j]! * b[i + j]!;
          break;
        case 'ave':
          for (let j = 0; j < H; j++) out[o + j] = (f[i + j]! + b[i + j]!) / 2;
          break;
      }
    }
    return out;
  }

  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    const H = this.H;
    const rows = B * (this.returnSequences ? T : 1);
    const width = this.mergeMode === 'concat' ? 2 * H : H;
    this.dF = ensure(this.dF, rows * H);
    this.dBk = ensure(this.dBk, rows * H);
    const f = this.fOut;
    const b = this.bOut;
    for (let r = 0; r < rows; r++) {
      const o = r * width;
      const i = r * H;
      for (let j = 0; j < H; j++) {
        const g = dy[o + j]!;
        switch (this.mergeMode) {
          case 'concat':
            this.dF[i + j] = g;
            this.dBk[i + j] = dy[o + H + j]!;
            break;
          case 'sum':
            this.dF[i + j] = g;
            this.dBk[i + j] = g;
            break;
          case 'mul':
            this.dF[i + j] = g * b[i + j]!;
            this.dBk[i + j] = g * f[i + j]!;
            break;
          case 'ave':
            this.dF[i + j] = g / 2;
            this.dBk[i + j] = g / 2;
            break;
        }
      }
    }
    let dBack = this.dBk;
    if (this.returnSequences) {
      // input order → the backward copy's processing order
      this.dBkFlipped = ensure(this.dBkFlipped, rows * H);
      flipTime(this.dBkFlipped, this.dBk, B, T, H);
      dBack = this.dBkFlipped;
    }
    const dxF = this.forwardLayer.backward(this.dF, B, T, needDx);
    const dxB = this.backwardLayer.backward(dBack, B, T, needDx);
    if (!needDx) return null;
    const n = B * T * this.forwardLayer.inputShape[1]!;
    this.dx = ensure(this.dx, n);
    for (let i = 0; i < n; i++) this.dx[i] = dxF![i]! + dxB![i]!;
    return this.dx;
  }

  override outputTime(T: number): number {
    return this.returnSequences ? T : 1;
  }

  override outputMask(inputMask: Float32Array | null): Float32Array | null {
    return this.returnSequences ? inputMask : null;
  }

  override beginEpoch(fitSeed: number, epoch: number): void {
    this.forwardLayer.beginEpoch(fitSeed, epoch);
    this.backwardLayer.beginEpoch(fitSeed, epoch);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      layer: { className: this.forwardLayer.className, config: { ...this.forwardLayer.getConfig(), name: this.forwardLayer.name.replace(/^forward_/, '') } },
      mergeMode: this.mergeMode,
    };
  }

  /** Reset both copies' carried states (stateful wrapped layers). */
  resetStates(): void {
    this.forwardLayer.resetStates();
    this.backwardLayer.resetStates();
  }

  override toString(): string {
    return `${this.where} ${formatShape([null, ...this.inputShape])}`;
  }
}

/** dst[b, t] = src[b, T−1−t] for [B, T, F] buffers. */
function flipTime(dst: Float32Array, src: Float32Array, B: number, T: number, F: number): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const d = (b * T + t) * F;
      const s = (b * T + T - 1 - t) * F;
      for (let f = 0; f < F; f++) dst[d + f] = src[s + f]!;
    }
  }
}

/** `layers.bidirectional({layer, mergeMode})`. */
export function bidirectional(args: BidirectionalArgs): Bidirectional {
  return new Bidirectional(args);
}
