/**
 * The network at run time: every weight in one value arena and one gradient arena
 * (layers keep views into them, so the optimizer updates everything in one pass), the
 * batch buffers, and the step itself — zero the gradients, forward, fused loss value
 * and gradient, backward in reverse, regularizers, one optimizer update, constraints,
 * metrics. Every buffer is planned before the first step, so steady-state training
 * allocates nothing. Sequential owns one Engine and drives it.
 */
import type { Layer, LayerWeight, Shape } from '../layers/layer.js';
import type { Optimizer, ParamSegment } from '../optimizers/index.js';
import { maskToWeights, type Loss } from '../losses/index.js';
import type { Metric } from '../metrics/index.js';
import type { Logs } from './callbacks.js';
import { copyRows, type Dataset } from './data.js';
import { backend } from '../backend/index.js';

export class Engine {
  loss: Loss | null = null;
  optimizer: Optimizer | null = null;
  metricObjs: Metric[] = [];
  params: Float32Array = new Float32Array(0);
  grads: Float32Array = new Float32Array(0);
  segments: ParamSegment[] = [];
  regularized: LayerWeight[] = [];
  constrained: LayerWeight[] = [];
  /** The current batch: inputs, targets, gathered sample weights [B, swWidth]. */
  xb: Float32Array = new Float32Array(0);
  yb: Float32Array = new Float32Array(0);
  swb: Float32Array = new Float32Array(0);
  /** The batch loss of the last trainStep. */
  readonly stepLoss = new Float64Array(1);
  private dOut: Float32Array = new Float32Array(0);
  private rowW: Float32Array = new Float32Array(0); // per-row loss weights [B·rows]
  private layerTime: Int32Array = new Int32Array(0);
  private outMask: Float32Array | null = null; // the mask leaving the last layer
  /** Output rows (batch × steps) of the last computeGradients. */
  lastRows = 0;

  constructor(private readonly layers: readonly Layer[]) {}

  private get outputShape(): Shape {
    return this.layers[this.layers.length - 1]?.outputShape ?? [];
  }

  /** Note which weights carry regularizers and constraints (after build, before training). */
  collectWeightRules(): void {
    const weights = this.layers.flatMap((l) => l.weights);
    this.regularized = weights.filter((w) => w.regularizer !== null);
    this.constrained = weights.filter((w) => w.constraint !== null);
  }

  /**
   * Move every weight into one value arena and one gradient arena, allocated by the
   * current backend (in WebAssembly memory for 'wasm'); planned again after a backend switch.
   */
  planArena(): void {
    const total = this.layers.reduce((n, l) => n + l.countParams(), 0);
    const k = backend();
    if (total === this.params.length && k.owns(this.params) && this.segments.length === this.layers.reduce((n, l) => n + l.weights.length, 0)) {
      // same weights as before (a re-build with an unchanged stack)
      let same = true;
      let i = 0;
      for (const l of this.layers) for (const w of l.weights) same = same && this.segments[i++]!.name === `${l.name}/${w.name}`;
      if (same) return;
    }
    const params = k.alloc(total);
    const grads = k.alloc(total);
    const segments: ParamSegment[] = [];
    let offset = 0;
    for (const layer of this.layers) {
      for (const w of layer.weights) {
        const size = w.value.length;
        params.set(w.value, offset);
        w.value = params.subarray(offset, offset + size);
        w.grad = grads.subarray(offset, offset + size);
        segments.push({ name: `${layer.name}/${w.name}`, offset, size, shape: w.shape, trainable: layer.trainable });
        offset += size;
      }
    }
    this.params = params;
    this.grads = grads;
    this.segments = segments;
  }

  /** Plan the per-batch buffers for a data set. */
  planBatches(ds: Dataset, batchSize: number): void {
    const outWidth = this.outputWidth(ds.T);
    if (this.xb.length < batchSize * ds.xWidth) this.xb = new Float32Array(batchSize * ds.xWidth);
    if (this.yb.length < batchSize * ds.yWidth) this.yb = new Float32Array(batchSize * ds.yWidth);
    if (this.dOut.length < batchSize * outWidth) this.dOut = new Float32Array(batchSize * outWidth);
    if (this.swb.length < batchSize * ds.swWidth) this.swb = new Float32Array(batchSize * ds.swWidth);
    const rowsPerSample = outWidth / (this.outputShape[this.outputShape.length - 1] as number);
    if (this.rowW.length < batchSize * rowsPerSample) this.rowW = new Float32Array(batchSize * rowsPerSample);
    if (this.layerTime.length !== this.layers.length) this.layerTime = new Int32Array(this.layers.length);
  }

  outputWidth(T: number): number {
    return this.outputShape.reduce<number>((n, d) => n * (d === null ? T : d), 1);
  }

  forwardPass(x: Float32Array, B: number, T: number, training: boolean): Float32Array {
    let a = x;
    let t = T;
    let mask: Float32Array | null = null;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i]!;
      this.layerTime[i] = t;
      a = layer.forward(a, B, t, training, mask);
      mask = layer.outputMask(mask);
      t = layer.outputTime(t);
    }
    this.outMask = this.outputShape.length === 2 ? mask : null;
    return a;
  }

  /**
   * Per-row loss weights for the current batch, or null: the gathered sample weights
   * (broadcast over time steps when given per sample), with the output mask folded in
   * as Keras does (masked rows 0, the rest scaled by rows/valid).
   */
  private lossWeights(B: number, rows: number, swWidth: number, weighted: boolean): Float32Array | null {
    let w: Float32Array | null = null;
    if (weighted) {
      const perRow = rows / B;
      if (swWidth === perRow) for (let i = 0; i < rows; i++) this.rowW[i] = this.swb[i]!;
      else for (let i = 0; i < rows; i++) this.rowW[i] = this.swb[Math.floor(i / perRow)]!;
      w = this.rowW;
    }
    if (this.outMask !== null) {
      maskToWeights(this.outMask, rows, this.rowW, w, this.loss!.reduction);
      w = this.rowW;
    }
    return w;
  }

  /** Σ regularization penalties (part of the reported loss, as in Keras). */
  penalty(): number {
    let p = 0;
    for (let i = 0; i < this.regularized.length; i++) {
      const w = this.regularized[i]!;
      p += w.regularizer!.penalty(w.value);
    }
    return p;
  }

  /**
   * One training step on the first B samples of the batch buffers; the batch loss
   * goes to `stepLoss[0]` (a returned double would be boxed: an allocation per step).
   * = computeGradients + applyGradients + updateMetrics (data-parallel fit calls the
   * three itself, with a gradient reduction between the first two).
   */
  trainStep(B: number, T: number, cols: number, sparseTargets: boolean, swWidth = 1, weighted = false): void {
    const out = this.computeGradients(this.xb, B, T, cols, swWidth, weighted);
    this.applyGradients();
    this.updateMetrics(out, this.yb, this.lastRows, cols, sparseTargets, this.outMask);
  }

  /**
   * The gradient half of a step: zero the gradient arena, forward (training mode) over
   * the first B samples of x, loss of those samples against the first B rows of `yb`
   * (weights from `swb` when `weighted`) into `stepLoss[0]`, backward. No regularizer
   * terms (applyGradients adds them once per batch). Returns the model output
   * [B, outWidth] (valid until the next forward); `outputMask` holds its mask.
   */
  computeGradients(x: Float32Array, B: number, T: number, cols: number, swWidth: number, weighted: boolean): Float32Array {
    this.grads.fill(0);
    const out = this.forwardPass(x, B, T, true);
    const rows = (B * this.outputWidth(T)) / cols;
    this.lastRows = rows;
    this.loss!.computeInto(this.stepLoss, out, this.yb, this.dOut, rows, cols, this.lossWeights(B, rows, swWidth, weighted));
    let d: Float32Array | null = this.dOut;
    for (let i = this.layers.length - 1; i >= 0 && d !== null; i--) d = this.layers[i]!.backward(d, B, this.layerTime[i]!, i > 0);
    return out;
  }

  /**
   * The update half of a step, on the gradients in the gradient arena: regularization
   * penalties (added to `stepLoss[0]`) and their gradients, one optimizer update,
   * constraints.
   */
  applyGradients(): void {
    if (this.regularized.length > 0) {
      this.stepLoss[0] = this.stepLoss[0]! + this.penalty();
      for (let i = 0; i < this.regularized.length; i++) {
        const w = this.regularized[i]!;
        w.regularizer!.addGradient(w.grad, w.value);
      }
    }
    this.optimizer!.apply(this.params, this.grads);
    for (let i = 0; i < this.constrained.length; i++) {
      const w = this.constrained[i]!;
      w.constraint!.apply(w.value, w.shape);
    }
  }

  /** Add a block of outputs [rows, cols] (with its mask, or null) to every metric. */
  updateMetrics(out: Float32Array, y: Float32Array, rows: number, cols: number, sparseTargets: boolean, mask: Float32Array | null): void {
    for (let m = 0; m < this.metricObjs.length; m++) this.metricObjs[m]!.update(out, y, rows, cols, sparseTargets, mask);
  }

  /** The mask of the last forward's output ([B, T] for sequence outputs), or null. */
  get outputMask(): Float32Array | null {
    return this.outMask;
  }

  logs(loss: number, prefix: string): Logs {
    const logs: Logs = { [`${prefix}loss`]: loss };
    for (const m of this.metricObjs) logs[`${prefix}${m.name}`] = m.result();
    return logs;
  }

  /** Loss and metrics over a data set, inference mode; keys prefixed (e.g. 'val_'). */
  evaluateDataset(ds: Dataset, batchSize: number, prefix: string, cols: number, sparseTargets: boolean, onBatch?: (step: number, logs: Logs) => void): Logs {
    const loss = this.loss!;
    for (const m of this.metricObjs) m.reset();
    let lossSum = 0;
    const penalty = this.penalty();
    const steps = Math.ceil(ds.n / batchSize);
    for (let step = 0; step < steps; step++) {
      const start = step * batchSize;
      const B = Math.min(batchSize, ds.n - start);
      copyRows(this.xb, ds.x.data, start, B, ds.xWidth);
      copyRows(this.yb, ds.y.data, start, B, ds.yWidth);
      if (ds.sw !== null) copyRows(this.swb, ds.sw, start, B, ds.swWidth);
      const out = this.forwardPass(this.xb, B, ds.T, false);
      const rows = (B * this.outputWidth(ds.T)) / cols;
      lossSum += loss.compute(out, this.yb, null, rows, cols, this.lossWeights(B, rows, ds.swWidth, ds.sw !== null)) * B;
      for (const m of this.metricObjs) m.update(out, this.yb, rows, cols, sparseTargets, this.outMask);
      onBatch?.(step, this.logs(lossSum / (start + B) + penalty, prefix));
    }
    return this.logs(lossSum / ds.n + penalty, prefix);
  }


  /** Refresh each segment's trainable flag from its layer (a layer's trainable may change between fits). */
  refreshTrainable(): void {
    this.segments = this.segments.map((s, i) => ({ ...s, trainable: this.layerOfSegment(i).trainable }));
  }

  private layerOfSegment(i: number): Layer {
    let k = i;
    for (const l of this.layers) {
      if (k < l.weights.length) return l;
      k -= l.weights.length;
    }
    throw new Error('unreachable: segment without a layer');
  }

  /** Inference over n samples batch by batch; returns [n, outWidth] outputs. */
  predict(x: Float32Array, n: number, T: number, xWidth: number, batchSize: number): Float32Array {
    const outWidth = this.outputWidth(T);
    const result = new Float32Array(n * outWidth);
    if (this.xb.length < batchSize * xWidth) this.xb = new Float32Array(batchSize * xWidth);
    for (let start = 0; start < n; start += batchSize) {
      const B = Math.min(batchSize, n - start);
      copyRows(this.xb, x, start, B, xWidth);
      const out = this.runInference(this.xb, B, T);
      result.set(out.subarray(0, B * outWidth), start * outWidth);
    }
    return result;
  }

  /** Inference forward over one batch already in place (Stream uses it with its own input). */
  runInference(x: Float32Array, B: number, T: number): Float32Array {
    if (this.layerTime.length !== this.layers.length) this.layerTime = new Int32Array(this.layers.length);
    return this.forwardPass(x, B, T, false);
  }
}
