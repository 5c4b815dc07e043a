/**
 * TimeSlice: steps chosen along the time axis of [B, T, C], as Python indexing chooses them
 * (`x[:, index]`, `x[:, start:stop]`, step 1):
 *
 *   TimeSlice({index: i})             [B, T, C] → [B, C]       step i (negative: from the end)
 *   TimeSlice({start: a, stop: b})    [B, T, C] → [B, T', C]   steps a … b−1 (Python's slice:
 *                                                               negative counts from the end,
 *                                                               out-of-range ends are clamped)
 *
 * It is the layer Keras models write as an op (`x[:, -1]` after a Transformer block: Keras
 * 3's GetItem, tf.keras 2's SlicingOpLambda) and rnnkit reads them as (models/loading.ts).
 * The time length may be open; the step index is then resolved per batch, and a step
 * outside the sequence or an empty slice is an error when it runs. No mask leaves: Keras's
 * ops drop the step mask (a mask reaching an op is refused when such a model is read).
 * Keras has no layer for it, so a .keras file cannot hold one (the writer refuses it).
 */
import { show } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { Layer, checkLayerOptions, ensure, type LayerArgs, type Shape } from './layer.js';

export interface TimeSliceArgs extends LayerArgs {
  /** One step (the time axis is dropped); negative counts from the end. Excludes start/stop. */
  index?: number;
  /** First step kept (Python slice start; null or absent: 0). */
  start?: number | null;
  /** Step after the last kept (Python slice stop; null or absent: the end). */
  stop?: number | null;
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

export class TimeSlice extends Layer {
  readonly className = 'TimeSlice';
  readonly index: number | null;
  readonly start: number | null;
  readonly stop: number | null;
  private C = 0;
  private T = 0;
  private first = 0;
  private count = 0;
  private out: Float32Array = new Float32Array(0);
  private dx: Float32Array = new Float32Array(0);

  constructor(args: TimeSliceArgs = {}) {
    super(args ?? {}, 'time_slice');
    checkLayerOptions(args ?? {}, ['index', 'start', 'stop'], this.where);
    const { index, start, stop } = args ?? {};
    const opt = (v: unknown, what: string): number | null => {
      if (v === undefined || v === null) return null;
      if (!isInt(v)) throw new RangeError(`${this.where}: ${what} must be an integer or null, got ${show(v)}`);
      return v;
    };
    this.index = index === undefined || index === null ? null : isInt(index) ? index : (() => { throw new RangeError(`${this.where}: index must be an integer, got ${show(index)}`); })();
    this.start = opt(start, 'start');
    this.stop = opt(stop, 'stop');
    if (this.index !== null && (this.start !== null || this.stop !== null)) throw new RangeError(`${this.where}: give either index (one step) or start/stop (a range), not both`);
  }

  /** [first step, number of steps] for T steps; throws where nothing (or no such step) is left. */
  private range(T: number): [number, number] {
    if (this.index !== null) {
      const i = this.index < 0 ? this.index + T : this.index;
      if (i < 0 || i >= T) throw new RangeError(`${this.where}: step index ${this.index} is outside a sequence of ${T} steps`);
      return [i, 1];
    }
    const clamp = (v: number): number => Math.min(T, Math.max(0, v < 0 ? v + T : v));
    const a = this.start === null ? 0 : clamp(this.start);
    const b = this.stop === null ? T : clamp(this.stop);
    if (b - a <= 0) throw new RangeError(`${this.where}: the slice [${this.start ?? ''}:${this.stop ?? ''}] of a sequence of ${T} steps is empty`);
    return [a, b - a];
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2) throw new RangeError(`${this.where}: expected input of rank 3 ([batch, steps, features]), got ${formatShape([null, ...inputShape])}`);
    const [T, C] = inputShape;
    if (C === null || C === undefined) throw new RangeError(`${this.where}: the feature dimension must be known, got ${formatShape([null, ...inputShape])}`);
    if (T !== null && T !== undefined) this.range(T); // refused now when the length is known
    if (this.index !== null) return [C];
    // An open length: the slice's length depends on it (ends are clamped), so it stays open.
    if (T === null || T === undefined) return [null, C];
    return [this.range(T)[1], C];
  }

  protected createWeights(inputShape: Shape, _rng: Rng): void {
    this.C = inputShape[1]!;
  }

  forward(x: Float32Array, B: number, T: number, _training: boolean, _mask: Float32Array | null): Float32Array {
    const C = this.C;
    const [first, count] = this.range(T);
    this.T = T;
    this.first = first;
    this.count = count;
    this.out = ensure(this.out, B * count * C);
    const out = this.out;
    for (let b = 0; b < B; b++) out.set(x.subarray((b * T + first) * C, (b * T + first + count) * C), b * count * C);
    return out;
  }

  /** Each kept step's gradient goes back to its step; the others get 0. */
  backward(dy: Float32Array, B: number, _T: number, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const { C, T, first, count } = this;
    this.dx = ensure(this.dx, B * T * C);
    const dx = this.dx;
    dx.fill(0, 0, B * T * C);
    for (let b = 0; b < B; b++) dx.set(dy.subarray(b * count * C, (b + 1) * count * C), (b * T + first) * C);
    return dx;
  }

  /** Keras's ops (GetItem, SlicingOpLambda) drop the step mask. */
  override outputMask(_inputMask: Float32Array | null): Float32Array | null {
    return null;
  }

  override outputTime(T: number): number {
    return this.index !== null ? 1 : this.range(T)[1];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), ...(this.index !== null ? { index: this.index } : { start: this.start, stop: this.stop }) };
  }
}

/** `layers.timeSlice({index})` or `layers.timeSlice({start, stop})`: steps of [B, T, C] chosen as `x[:, index]` / `x[:, start:stop]`. */
export function timeSlice(args?: TimeSliceArgs): TimeSlice {
  return new TimeSlice(args);
}
