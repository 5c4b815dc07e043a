/**
 * Streaming inference: feed a model one time step (or a chunk of steps) at a time and
 * get its outputs, each recurrent layer carrying its state from call to call — O(1)
 * work per step, nothing recomputed. Works on any trained model, stateful or not, at
 * any batch size, without rebuilding it.
 *
 *   const stream = model.stream();        // batch size 1
 *   for (const x of sensor) console.log(stream.step([[x]]).data);
 *   stream.reset();
 */
import { Tensor, formatShape, toTensor, type NestedArray } from '../core/tensor.js';
import { Recurrent } from '../layers/recurrent.js';
import type { Layer } from '../layers/layer.js';
import { backend } from '../backend/index.js';

/** What a Stream needs from its model. */
export interface StreamableModel {
  readonly layers: readonly Layer[];
  readonly where: string;
  /** @internal forward in inference mode over a [B, T, …] input; returns [output, outputWidthPerSample]. */
  runInference(x: Float32Array, B: number, T: number): Float32Array;
}

/** Layers that treat every time step alike, so a model can run on chunks of any length. */
const STEPWISE = new Set(['SimpleRNN', 'LSTM', 'GRU', 'Dense', 'TimeDistributed', 'Dropout', 'Activation', 'Embedding', 'Masking']);

export class Stream {
  private readonly recurrent: Recurrent[];
  private readonly states: Float32Array[][];
  /** Error-message prefix, built once (a template string per step would allocate). */
  private readonly what: string;
  /** The output shape for the last (steps, single) seen: a step is usually like the one before. */
  private lastT = -1;
  private lastSingle = false;
  private lastShape: number[] = [];
  private lastSize = 0;

  constructor(
    private readonly model: StreamableModel,
    readonly batchSize: number,
  ) {
    for (const l of model.layers) {
      if (!l.isBuilt) throw new RangeError(`${model.where}: stream() needs a built model; give the first layer an inputShape, or fit/predict first`);
      if (!STEPWISE.has(l.className)) {
        throw new RangeError(`${model.where}: ${l.where} cannot run step by step (it needs the whole sequence); stream() supports ${[...STEPWISE].join(', ')}`);
      }
    }
    this.what = `${model.where}: stream step`;
    this.recurrent = model.layers.filter((l): l is Recurrent => l instanceof Recurrent);
    // Allocated by the backend, so kernels can read and write the carried state in place.
    this.states = this.recurrent.map((l) => Array.from({ length: l.numStates }, () => backend().alloc(batchSize * l.units)));
  }

  /**
   * Feed x: [batch, features] for one step, or [batch, steps, features] for a chunk
   * (for an Embedding first layer: [batch] or [batch, steps] of indices). Returns the
   * model's outputs for these steps (the time axis dropped for a single step).
   */
  step(input: Tensor | NestedArray): Tensor {
    const x = toTensor(input, this.what);
    const first = this.model.layers[0]!;
    const want = first.inputShape; // per sample, time axis first
    const single = x.rank === want.length; // [B, F] (or [B] of indices): one step
    if (x.rank !== want.length + 1 && !single) {
      throw new RangeError(`${first.where}: a stream step takes [${this.batchSize}, …features] or [${this.batchSize}, steps, …features], got ${formatShape(x.shape)}`);
    }
    if (x.shape[0] !== this.batchSize) throw new RangeError(`${this.model.where}: this stream has batch size ${this.batchSize}, got ${x.shape[0]} samples`);
    const T = single ? 1 : x.shape[1]!;
    const featureAxis = single ? 1 : 2;
    for (let i = 1; i < want.length; i++) {
      const d = want[i];
      if (x.shape[featureAxis + i - 1] !== d && d !== null) {
        throw new RangeError(`${first.where}: expected steps of shape ${formatShape([this.batchSize, ...want.slice(1)])}, got ${formatShape(x.shape)}`);
      }
    }
    for (let i = 0; i < this.recurrent.length; i++) this.recurrent[i]!.externalStates = this.states[i]!;
    let out: Float32Array;
    try {
      out = this.model.runInference(x.data, this.batchSize, T);
    } finally {
      for (const l of this.recurrent) l.externalStates = null;
    }
    if (T !== this.lastT || single !== this.lastSingle) this.cacheOutputShape(T, single);
    return new Tensor(out.slice(0, this.lastSize), this.lastShape.slice());
  }

  private cacheOutputShape(T: number, single: boolean): void {
    const last = this.model.layers[this.model.layers.length - 1]!;
    // The time axis of a sequence output has this call's length, whatever length the model declared.
    let tOut = T;
    for (const l of this.model.layers) tOut = l.outputTime(tOut);
    const outShape = last.outputShape.map((d, i) => (i === 0 && last.outputShape.length >= 2 ? tOut : (d as number)));
    this.lastShape = single && last.outputShape.length === 2 ? [this.batchSize, outShape[1]!] : [this.batchSize, ...outShape];
    this.lastSize = this.lastShape.reduce((a, b) => a * b, 1);
    this.lastT = T;
    this.lastSingle = single;
  }

  /** Back to the zero state. */
  reset(): void {
    for (const s of this.states) for (const a of s) a.fill(0);
  }

  /** Current states per recurrent layer (h, then c for LSTM), as [batch, units] Tensors. */
  getStates(): Tensor[][] {
    return this.states.map((s, i) => s.map((a) => new Tensor(a.slice(), [this.batchSize, this.recurrent[i]!.units])));
  }
}
