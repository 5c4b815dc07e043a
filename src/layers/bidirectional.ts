/**
 * Bidirectional (Keras 3): a forward copy and a backward copy (goBackwards flipped)
 * of a recurrent layer, built from its options; with returnSequences the backward
 * output is flipped back along time so both halves at position t refer to input step
 * t. Merge modes: concat (forward first), sum, mul, ave. Weights: the forward copy's,
 * then the backward copy's. As in Keras, both copies get zeroOutputForMask =
 * returnSequences: with a mask, a returned sequence is zeros at masked steps.
 */
import { checkOptions, show } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import { Layer, LAYER_ARG_KEYS, PLAIN_CALL, ensure, type LayerArgs, type Shape } from './layer.js';
import { NodeIO, type CallSpec } from './node.js';
import { Recurrent } from './recurrent.js';

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

export interface BidirectionalArgs extends LayerArgs {
  /** The recurrent layer to run both ways (its options are copied; the instance itself is not used). */
  layer: Recurrent;
  /**
   * How to combine the two outputs: 'concat' (default), 'sum', 'mul', 'ave', or null
   * for both outputs as a list [forward, backward] (a graph model's layer only).
   */
  mergeMode?: MergeMode | null;
  /**
   * The backward half, used instead of a copy of `layer` with goBackwards flipped (Keras
   * `backward_layer`): the same kind and units as `layer`, the opposite goBackwards, and the
   * same returnSequences, returnState and stateful. Its own options (activation,
   * initializers, dropout…) are kept.
   */
  backwardLayer?: Recurrent | null;
}

const MERGE_MODES: readonly string[] = ['concat', 'sum', 'mul', 'ave'];

/** Seed offset of the backward copy, so the two copies start from different weights. */
const BACKWARD_SEED_OFFSET = 7919;

export class Bidirectional extends Layer {
  readonly className = 'Bidirectional';
  readonly forwardLayer: Recurrent;
  readonly backwardLayer: Recurrent;
  readonly mergeMode: MergeMode | null;
  /** The wrapped layer's returnState: a call also returns the forward copy's final states, then the backward copy's. */
  readonly returnState: boolean;
  private readonly returnSequences: boolean;
  /** Whether the backward half came from `backwardLayer` (saved in the config then). */
  private readonly ownBackward: boolean;
  private readonly S: number; // states per direction
  private H = 0;
  // the two copies' calls: inputs [x, ...states], outputs [y, ...final states]
  private readonly fIO: NodeIO;
  private readonly stateCall: CallSpec;
  private readonly bIO: NodeIO;
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
    checkOptions(args, [...LAYER_ARG_KEYS, 'layer', 'mergeMode', 'backwardLayer'], `${where} '${this.name}'`, {
      inputLength: 'give inputShape: [timeSteps, features] instead',
    });
    const back = args.backwardLayer ?? null;
    if (back !== null) checkBackwardLayer(inner, back, this.where);
    const mode = args.mergeMode === undefined ? 'concat' : args.mergeMode;
    if (mode !== null && !MERGE_MODES.includes(mode)) throw new RangeError(`${this.where}: mergeMode must be one of ${MERGE_MODES.join(', ')} or null, got ${show(mode)}`);
    this.mergeMode = mode as MergeMode | null;
    const seed = inner.args.seed;
    const zeroOutputForMask = inner.returnSequences;
    // Keras 3 names the halves forward_<name> / backward_<name>, a prefix already there not doubled
    // (its saved configs hold the halves under those names).
    const base = unprefixed(inner.name, 'forward_');
    this.forwardLayer = inner.cloneWith({ name: `forward_${base}`, zeroOutputForMask });
    this.ownBackward = back !== null;
    this.backwardLayer =
      back !== null
        ? back.cloneWith({ name: `backward_${unprefixed(back.name, 'backward_')}`, zeroOutputForMask })
        : inner.cloneWith({
            name: `backward_${base}`,
            goBackwards: !inner.goBackwards,
            zeroOutputForMask,
            ...(seed === undefined ? {} : { seed: seed + BACKWARD_SEED_OFFSET }),
          });
    this.returnSequences = inner.returnSequences;
    this.returnState = inner.returnState;
    this.S = inner.numStates;
    this.stateCall = { stateCount: this.S, args: {} };
    this.fIO = new NodeIO(1 + this.S, 1 + (this.returnState ? this.S : 0));
    this.bIO = new NodeIO(1 + this.S, 1 + (this.returnState ? this.S : 0));
  }

  protected override sublayers(): readonly Layer[] {
    return [this.forwardLayer, this.backwardLayer];
  }

  override weightPaths(): string[] {
    return [this.forwardLayer, this.backwardLayer].flatMap((sub) => sub.weights.map((w) => `${this.name}/${sub.name}/${w.name}`));
  }

  override freshCopy(): Layer {
    return new Bidirectional({
      name: this.name,
      trainable: this.trainable,
      mergeMode: this.mergeMode,
      layer: this.forwardLayer.cloneWith({ name: unprefixed(this.forwardLayer.name, 'forward_') }),
      backwardLayer: this.ownBackward ? this.backwardLayer.cloneWith({ name: unprefixed(this.backwardLayer.name, 'backward_') }) : null,
    });
  }

  computeOutputShape(inputShape: Shape): Shape {
    const f = this.forwardLayer.computeOutputShape(inputShape);
    const last = f[f.length - 1] as number;
    return [...f.slice(0, -1), this.mergeMode === 'concat' ? 2 * last : last];
  }

  /** [output] (or [forward, backward] for mergeMode null), then with returnState the forward copy's states and the backward copy's. */
  override computeOutputShapes(inputShapes: readonly Shape[], call: CallSpec): Shape[] {
    const main = inputShapes.length - call.stateCount;
    if (main !== 1) throw new RangeError(`${this.where}: takes one input sequence (and initialState), got ${main} inputs`);
    if (call.stateCount > 0) {
      if (call.stateCount !== 2 * this.S) throw new RangeError(`${this.where}: initialState needs ${2 * this.S} states (the forward layer's ${this.S}, then the backward layer's), got ${call.stateCount}`);
      this.forwardLayer.computeOutputShapes([inputShapes[0]!, ...inputShapes.slice(1, 1 + this.S)], { stateCount: this.S, args: {} });
      this.backwardLayer.computeOutputShapes([inputShapes[0]!, ...inputShapes.slice(1 + this.S)], { stateCount: this.S, args: {} });
    }
    const y = this.computeOutputShape(inputShapes[0]!);
    const outs: Shape[] = this.mergeMode === null ? [y, y] : [y];
    if (this.returnState) for (let i = 0; i < 2 * this.S; i++) outs.push([this.forwardLayer.units]);
    return outs;
  }

  protected createWeights(inputShape: Shape): void {
    this.forwardLayer.build(inputShape, this.initializing);
    this.backwardLayer.build(inputShape, this.initializing);
    // the copies' weight records themselves: the model's arena rebinds them in place
    this.weights.push(...this.forwardLayer.weights, ...this.backwardLayer.weights);
    this.H = this.forwardLayer.units;
  }

  forward(x: Float32Array, B: number, T: number, training: boolean, mask: Float32Array | null): Float32Array {
    if (this.mergeMode === null || this.returnState) throw new RangeError(`${this.where}: with mergeMode null or returnState the layer has several outputs; use it in a graph model (model({inputs, outputs})) or call apply()`);
    this.runCopies(x, B, T, training, mask, null);
    return this.merge(B, T);
  }

  /** Run both copies (with their initial states from `io` when given); their outputs go to fOut and bOut (in input order). */
  private runCopies(x: Float32Array, B: number, T: number, training: boolean, mask: Float32Array | null, io: NodeIO | null): void {
    this.runCopy(this.forwardLayer, this.fIO, 0, x, B, T, training, mask, io);
    this.runCopy(this.backwardLayer, this.bIO, 1, x, B, T, training, mask, io);
    this.fOut = this.fIO.ys[0]!;
    let b = this.bIO.ys[0]!;
    if (this.returnSequences) {
      // processing order → input order
      this.flipped = ensure(this.flipped, B * T * this.H);
      flipTime(this.flipped, b, B, T, this.H);
      b = this.flipped;
    }
    this.bOut = b;
  }

  /** One copy's call; copy k (0 forward, 1 backward) takes the k-th half of the given initial states. */
  private runCopy(layer: Recurrent, sub: NodeIO, k: number, x: Float32Array, B: number, T: number, training: boolean, mask: Float32Array | null, io: NodeIO | null): void {
    const S = this.S;
    const given = io !== null && io.call.stateCount > 0;
    sub.B = B;
    sub.training = training;
    sub.call = given ? this.stateCall : PLAIN_CALL;
    sub.xs[0] = x;
    sub.xTime[0] = T;
    sub.xMasks[0] = mask;
    if (given) for (let i = 0; i < S; i++) sub.xs[1 + i] = io.xs[1 + k * S + i]!;
    layer.forwardNode(sub);
  }

  /** The merged output of fOut and bOut. */
  private merge(B: number, T: number): Float32Array {
    const H = this.H;
    const rows = B * (this.returnSequences ? T : 1);
    const f = this.fOut;
    const b = this.bOut;
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

  override forwardNode(io: NodeIO): void {
    const B = io.B;
    const T = io.xTime[0]!;
    const mask = io.xMasks[0]!;
    this.runCopies(io.xs[0]!, B, T, io.training, mask, io);
    let o = 0;
    const ym = this.returnSequences ? mask : null;
    const yT = this.returnSequences ? T : 1;
    if (this.mergeMode === null) {
      io.ys[o] = this.fOut;
      io.ys[o + 1] = this.bOut;
      io.yMasks[o] = io.yMasks[o + 1] = ym;
      io.yTime[o] = io.yTime[o + 1] = yT;
      o += 2;
    } else {
      io.ys[o] = this.merge(B, T);
      io.yMasks[o] = ym;
      io.yTime[o++] = yT;
    }
    if (!this.returnState) return;
    for (let k = 0; k < 2; k++) {
      const sub = k === 0 ? this.fIO : this.bIO;
      for (let i = 0; i < this.S; i++, o++) {
        io.ys[o] = sub.ys[1 + i]!;
        io.yMasks[o] = null;
        io.yTime[o] = 1;
      }
    }
  }

  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    this.splitGradient(dy, B, T);
    return this.backwardCopies(this.dF, this.dBk, B, T, needDx, null);
  }

  override backwardNode(io: NodeIO): void {
    const B = io.B;
    const T = io.xTime[0]!;
    let dF: Float32Array | null;
    let dB: Float32Array | null;
    let o: number;
    if (this.mergeMode === null) {
      dF = io.dys[0]!;
      dB = io.dys[1]!;
      o = 2;
    } else {
      const dy = io.dys[0]!;
      if (dy !== null) this.splitGradient(dy, B, T);
      dF = dy === null ? null : this.dF;
      dB = dy === null ? null : this.dBk;
      o = 1;
    }
    for (let k = 0; k < 2; k++) {
      const sub = k === 0 ? this.fIO : this.bIO;
      for (let i = 0; i < (this.returnState ? this.S : 0); i++) sub.dys[1 + i] = io.dys[o++]!;
    }
    io.dxs[0] = this.backwardCopies(dF, dB, B, T, io.needDx[0] === 1, io);
  }

  /** The merge's backward: d forward output → dF, d backward output → dBk (input order). */
  private splitGradient(dy: Float32Array, B: number, T: number): void {
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
  }

  /** Backward through both copies from their output gradients (input order; null = none), states' gradients in the sub-IOs. */
  private backwardCopies(dF: Float32Array | null, dB: Float32Array | null, B: number, T: number, needDx: boolean, io: NodeIO | null): Float32Array | null {
    const H = this.H;
    const rows = B * (this.returnSequences ? T : 1);
    let dBack = dB;
    if (this.returnSequences && dB !== null) {
      // input order → the backward copy's processing order
      this.dBkFlipped = ensure(this.dBkFlipped, rows * H);
      flipTime(this.dBkFlipped, dB, B, T, H);
      dBack = this.dBkFlipped;
    }
    const wantStates = io !== null && io.call.stateCount > 0 && io.needDx[1] === 1;
    const dxF = this.backwardCopy(this.forwardLayer, this.fIO, 0, dF, needDx, wantStates, io);
    const dxB = this.backwardCopy(this.backwardLayer, this.bIO, 1, dBack, needDx, wantStates, io);
    if (io !== null && !wantStates) for (let i = 1; i < io.dxs.length; i++) io.dxs[i] = null;
    if (!needDx) return null;
    const n = B * T * this.forwardLayer.inputShape[1]!;
    this.dx = ensure(this.dx, n);
    for (let i = 0; i < n; i++) this.dx[i] = dxF![i]! + dxB![i]!;
    return this.dx;
  }

  /** One copy's backward; its initial-state gradients go to the k-th half of io's state inputs. */
  private backwardCopy(layer: Recurrent, sub: NodeIO, k: number, d: Float32Array | null, needDx: boolean, wantStates: boolean, io: NodeIO | null): Float32Array | null {
    const S = this.S;
    if (!this.returnState) for (let i = 1; i < sub.dys.length; i++) sub.dys[i] = null;
    sub.dys[0] = d;
    sub.needDx[0] = needDx ? 1 : 0;
    for (let i = 1; i <= S; i++) sub.needDx[i] = wantStates ? 1 : 0;
    layer.backwardNode(sub);
    if (wantStates) for (let i = 0; i < S; i++) io!.dxs[1 + k * S + i] = sub.dxs[1 + i]!;
    return sub.dxs[0]!;
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
      layer: halfConfig(this.forwardLayer, 'forward_'),
      mergeMode: this.mergeMode,
      ...(this.ownBackward ? { backwardLayer: halfConfig(this.backwardLayer, 'backward_') } : {}),
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

/** Keras's checks on a given backward layer, plus rnnkit's: one state layout for both halves. */
function checkBackwardLayer(inner: Recurrent, back: unknown, where: string): void {
  if (!(back instanceof Recurrent)) throw new TypeError(`${where}: backwardLayer must be a recurrent layer (layers.lstm, layers.gru or layers.simpleRNN), got ${String(back)}`);
  if (back.className !== inner.className || back.units !== inner.units) {
    throw new RangeError(`${where}: backwardLayer must be the same kind and size as layer, ${inner.className}(${inner.units}); got ${back.className}(${back.units})`);
  }
  if (back.goBackwards === inner.goBackwards) throw new RangeError(`${where}: backwardLayer must have goBackwards ${!inner.goBackwards}, the opposite of layer's`);
  for (const key of ['returnSequences', 'returnState', 'stateful'] as const) {
    if (back[key] !== inner[key]) throw new RangeError(`${where}: backwardLayer must have the same ${key} as layer (${inner[key]}), got ${back[key]}`);
  }
}

/**
 * One half's {className, config} under its own name. zeroOutputForMask is left out: the
 * wrapper sets it, and tfjs readers have no such option.
 */
function halfConfig(half: Recurrent, prefix: string): Record<string, unknown> {
  const { zeroOutputForMask: _set, ...config } = half.getConfig();
  return { className: half.className, config: { ...config, name: unprefixed(half.name, prefix) } };
}

const unprefixed = (name: string, prefix: string): string => (name.startsWith(prefix) ? name.slice(prefix.length) : name);

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
