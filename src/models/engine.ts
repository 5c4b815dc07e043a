/**
 * A model at training time: every weight in one value arena and one gradient arena
 * (layers keep views into them, so the optimizer updates everything in one pass), the
 * batch buffers per input and output, and the step itself — zero the gradients,
 * forward through the graph (executor.ts), each output's fused loss value and
 * gradient, backward, regularizers, one optimizer update, constraints, metrics. Every
 * buffer is planned before the first step, so steady-state training allocates
 * nothing. Model owns one Engine per graph and drives it; data-parallel fit runs the
 * two halves of a step (computeGradients, applyGradients) with a reduction between.
 */
import type { Layer, LayerWeight } from '../layers/layer.js';
import type { Optimizer, ParamSegment } from '../optimizers/index.js';
import type { Loss } from '../losses/index.js';
import type { Metric } from '../metrics/index.js';
import type { Logs } from './callback.js';
import { copyRows, gatherRows, type Dataset } from './data.js';
import { backend } from '../backend/kernels.js';
import { Executor } from './executor.js';
import { ensure } from '../layers/layer.js';
import { show } from '../core/errors.js';
import type { Graph } from './graph.js';
import { compactSteps, keptSpan, lengthOrder, padMask, padSteps, paddingTrimEnabled, planTrim, sampleLengths, type TrimPlan, type TrimRule } from './trim.js';

/** What a forward pass is for: which trimming rules apply (see trim.ts). */
const TRAIN = 0;
const EVALUATE = 1;
const PREDICT = 2;
const ZERO: TrimRule = { kind: 'zero' };

/** What the engine trains each output for (set by compile). */
export interface OutputTraining {
  /** Log name of the output (its layer's name). */
  name: string;
  /** Null: this output has no loss (it is computed, not trained). */
  loss: Loss | null;
  /** Factor of this output's loss in the total (Keras lossWeights). */
  weight: number;
  metrics: Metric[];
}

/** A weight of the model with the layer that holds it and its index there. */
interface PlacedWeight {
  weight: LayerWeight;
  layer: Layer;
  index: number;
}

/** A training step refused because its loss or a gradient is NaN or infinite. */
export class NonFiniteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NonFiniteError';
  }
}

export class Engine {
  readonly executor: Executor;
  optimizer: Optimizer | null = null;
  /** Per output: loss, loss weight, metrics (empty until compile). */
  outputs: OutputTraining[] = [];
  params: Float32Array = new Float32Array(0);
  grads: Float32Array = new Float32Array(0);
  segments: ParamSegment[] = [];
  regularized: LayerWeight[] = [];
  constrained: LayerWeight[] = [];
  /** The current batch: per input, per output (targets), per output (sample weights [B, swWidth]). */
  xb: Float32Array[];
  yb: Float32Array[];
  swb: Float32Array[];
  /** The batch loss of the last step (total over outputs), and each output's unweighted loss. */
  readonly stepLoss = new Float64Array(1);
  readonly outputLoss: Float64Array;
  /** Output rows (batch × steps) of each output in the last computeGradients. */
  readonly lastRows: Int32Array;
  private readonly dOut: Float32Array[];
  private readonly rowW: Float32Array[]; // per output: per-row loss weights [B·rows]
  private readonly scratch = new Float64Array(1);
  private placed: PlacedWeight[] = [];
  /** Padding trimming (trim.ts): the graph's plan, or null; per input the cut [start, start + length) of this batch (length −1: not cut). */
  private readonly trim: TrimPlan | null;
  private readonly cutStart: Int32Array;
  private readonly cutLen: Int32Array;
  private readonly stepWidth: Int32Array; // per input: floats per time step
  private readonly span = new Int32Array(2);
  /** Per output: 1 when this batch's output was cut and padded back into padOut / padMaskBuf. */
  private readonly padded: Uint8Array;
  private readonly padOut: Float32Array[];
  private readonly padMaskBuf: Float32Array[];
  private readonly padHasMask: Uint8Array;
  /** Batches run cut so far (tests check that trimming happened). */
  trimmedBatches = 0;
  /**
   * Per pass kind (training, inference): the largest batch size and input lengths run uncut.
   * A batch larger than any before runs uncut, so every layer's buffers reach their full size
   * at once: cut batches of growing lengths would grow them step by step (a reallocation each).
   */
  private readonly sizedB = new Int32Array(2);
  private readonly sizedLen: Int32Array[];

  constructor(readonly graph: Graph) {
    this.executor = new Executor(graph);
    this.trim = planTrim(graph);
    this.cutStart = new Int32Array(graph.inputs.length);
    this.cutLen = new Int32Array(graph.inputs.length).fill(-1);
    this.stepWidth = Int32Array.from(graph.inputs, (t) => t.shape.slice(2).reduce<number>((n, d) => n * (d ?? 1), 1));
    this.padded = new Uint8Array(graph.outputs.length);
    this.padOut = graph.outputs.map(() => new Float32Array(0));
    this.padMaskBuf = graph.outputs.map(() => new Float32Array(0));
    this.padHasMask = new Uint8Array(graph.outputs.length);
    this.sizedLen = [new Int32Array(graph.inputs.length), new Int32Array(graph.inputs.length)];
    // A cut batch changes the time length of tensors declared with a fixed one: they follow the data.
    if (this.trim !== null) this.trim.axis.forEach((a, i) => a >= 0 && this.executor.followTime(i));
    const nIn = graph.inputs.length;
    const nOut = graph.outputs.length;
    this.xb = Array.from({ length: nIn }, () => new Float32Array(0));
    this.yb = Array.from({ length: nOut }, () => new Float32Array(0));
    this.swb = Array.from({ length: nOut }, () => new Float32Array(0));
    this.dOut = Array.from({ length: nOut }, () => new Float32Array(0));
    this.rowW = Array.from({ length: nOut }, () => new Float32Array(0));
    this.outputLoss = new Float64Array(nOut);
    this.batchLoss = new Float64Array(nOut);
    this.lastRows = new Int32Array(nOut);
    this.outputs = graph.outputs.map((t) => ({ name: t.sourceLayer.name, loss: null, weight: 1, metrics: [] }));
  }

  /** The layers whose weights the model holds, each once (shared layers and twins included once). */
  get layers(): readonly Layer[] {
    return this.graph.weightedLayers;
  }

  /** Note which weights carry regularizers and constraints (after build, before training). */
  collectWeightRules(): void {
    const weights = this.layers.flatMap((l) => l.weights);
    this.regularized = weights.filter((w) => w.regularizer !== null);
    this.constrained = weights.filter((w) => w.constraint !== null);
  }

  /**
   * Move every weight into one value arena and one gradient arena, allocated by the
   * current backend (in WebAssembly memory for 'wasm'). Planned again when any weight
   * no longer lies where this engine put it: after a backend switch, or when another
   * model sharing these layers planned them into its own arenas (the values are copied
   * from wherever they are, so nothing is lost; the layout, and with it the optimizer
   * state, stays the same).
   */
  planArena(): void {
    const placed: PlacedWeight[] = [];
    const seen = new Set<LayerWeight>();
    for (const layer of this.layers) {
      layer.weights.forEach((w, index) => {
        if (seen.has(w)) return;
        seen.add(w);
        placed.push({ weight: w, layer, index });
      });
    }
    if (this.inPlace(placed)) return;
    const total = placed.reduce((n, p) => n + p.weight.value.length, 0);
    const k = backend();
    const params = k.alloc(total);
    const grads = k.alloc(total);
    const segments: ParamSegment[] = [];
    let offset = 0;
    const names = weightNames(this.layers);
    for (const p of placed) {
      const w = p.weight;
      const size = w.value.length;
      params.set(w.value, offset);
      w.value = params.subarray(offset, offset + size);
      w.grad = grads.subarray(offset, offset + size);
      segments.push({ name: names.get(w) ?? `${p.layer.name}/${w.name}`, offset, size, shape: w.shape, trainable: p.layer.weightTrainable()[p.index]! });
      offset += size;
    }
    this.params = params;
    this.grads = grads;
    this.segments = segments;
    this.placed = placed;
  }

  /**
   * Before a training step: when another model built on these layers meanwhile (from a
   * callback, or between yielded batches) moved the weights into its own arenas, move them
   * back, or the optimizer would update an arena nothing reads. Allocation-free when in place.
   */
  keepArena(): void {
    if (this.inPlace(this.placed)) return;
    if (!backend().owns(this.params)) return this.planArena(); // a backend switch: new arenas
    // Copy the current values back into this engine's own arenas and view them there again.
    let offset = 0;
    for (const { weight: w } of this.placed) {
      const size = w.value.length;
      this.params.set(w.value, offset);
      w.value = this.params.subarray(offset, offset + size);
      w.grad = this.grads.subarray(offset, offset + size);
      offset += size;
    }
  }

  /** Whether every weight is still the view this engine made, at its offset. */
  private inPlace(placed: readonly PlacedWeight[]): boolean {
    if (placed.length !== this.placed.length || !backend().owns(this.params)) return false;
    let offset = 0;
    for (let i = 0; i < placed.length; i++) {
      const w = placed[i]!.weight;
      if (w !== this.placed[i]!.weight) return false;
      const v = w.value;
      if (v.buffer !== this.params.buffer || v.byteOffset !== this.params.byteOffset + 4 * offset || w.grad.buffer !== this.grads.buffer) return false;
      offset += v.length;
    }
    return offset === this.params.length;
  }

  /** Refresh each segment's trainable flag from its layer and the model's own (either may change between fits). */
  refreshTrainable(modelTrainable: boolean): void {
    for (const l of this.layers) l.markFrozen(!modelTrainable);
    this.segments = this.segments.map((s, i) => {
      const p = this.placed[i]!;
      return { ...s, trainable: modelTrainable && p.layer.weightTrainable()[p.index]! };
    });
    this.executor.refreshNeedGrad();
  }

  /** Plan the per-batch buffers for a data set. */
  planBatches(ds: Dataset, batchSize: number): void {
    ds.xWidth.forEach((w, k) => {
      if (this.xb[k]!.length < batchSize * w) this.xb[k] = new Float32Array(batchSize * w);
    });
    ds.yWidth.forEach((w, o) => {
      if (this.yb[o]!.length < batchSize * w) this.yb[o] = new Float32Array(batchSize * w);
      const outWidth = this.outputWidth(o, ds.xLen);
      if (this.dOut[o]!.length < batchSize * outWidth) this.dOut[o] = new Float32Array(batchSize * outWidth);
      const rows = outWidth / this.cols(o);
      if (this.rowW[o]!.length < batchSize * rows) this.rowW[o] = new Float32Array(batchSize * rows);
      const sw = ds.swWidth[o]!;
      if (this.swb[o]!.length < batchSize * sw) this.swb[o] = new Float32Array(batchSize * sw);
    });
  }

  /** Last axis of output o. */
  cols(o: number): number {
    const s = this.graph.outputs[o]!.shape;
    return s[s.length - 1] as number;
  }

  /** Floats per sample of output o for inputs of these time lengths (from the graph's shapes, no data). */
  outputWidth(o: number, xLen: readonly number[]): number {
    const shape = this.graph.concreteShapes(xLen)[this.graph.indexOf(this.graph.outputs[o]!)]!;
    return (shape as number[]).reduce((a, b) => a * b, 1);
  }

  /**
   * Forward over the first B samples of the batch buffers. With a mode (TRAIN, EVALUATE, PREDICT)
   * the inputs' padding is cut first where the plan allows (the input buffers are compacted in
   * place) and the cut outputs padded back, so `output`, `outputMask` and `outputRows` read as
   * after a full pass.
   */
  forwardPass(B: number, training: boolean, mode = -1): void {
    const ex = this.executor;
    this.cutRagged(B);
    const cut = mode >= 0 && this.cutInputs(B, mode);
    for (let k = 0; k < this.xb.length; k++) ex.setInput(k, this.xb[k]!, cut && this.cutLen[k]! >= 0 ? this.cutLen[k]! : this.inputLen[k]!, null);
    ex.forward(B, training);
    this.padded.fill(0);
    if (cut) this.padOutputs(B, mode);
  }

  /** Per sample of a data set, the steps padding trimming would keep for it alone (fit's bucketByLength); null without a trimming plan. */
  sampleLengths(ds: Dataset): Int32Array | null {
    return this.trim === null ? null : sampleLengths(this.trim, ds.x.map((t) => t.data), ds.xLen, this.stepWidth, ds.n);
  }

  /**
   * The inputs this batch is padded for as Keras pads ragged texts: to the batch's own longest
   * row (its last non-zero step; padding is 0 at the end), not the call's. Set with the batch's
   * data (loadBatch, fit's step, predict); see Model.raggedInputs for when it applies.
   */
  private ragged: readonly number[] = [];
  private readonly raggedLen: number[] = [];

  /** Set the time lengths of the batch about to run, and which of its inputs are ragged (padded per batch); together, so neither outlives its batch. */
  setBatchLengths(xLen: readonly number[], ragged: readonly number[] = []): void {
    this.inputLen = xLen;
    this.ragged = ragged;
  }

  /**
   * The loaded batch's ragged inputs cut now, and its lengths fixed: a data-parallel step cuts
   * the whole batch before splitting it into shards, whose forwards must not cut their own rows
   * again (workers/pool.ts). Returns the batch's time lengths.
   */
  cutBatch(B: number): readonly number[] {
    this.cutRagged(B);
    this.ragged = [];
    return this.inputLen;
  }

  /**
   * Cut the ragged inputs of the loaded batch to its longest row (in place) and point inputLen
   * at the cut lengths. Idempotent: a second forward over the same batch finds the same length.
   */
  private cutRagged(B: number): void {
    if (this.ragged.length === 0) return;
    const len = this.raggedLen;
    if (this.inputLen !== len) {
      len.length = 0;
      for (const T of this.inputLen) len.push(T);
    }
    for (const k of this.ragged) {
      const T = len[k]!;
      const w = this.stepWidth[k]!;
      // A batch of empty texts keeps one padding step (Keras would give it zero steps).
      const longest = keptSpan(this.xb[k]!, B, T, w, ZERO, this.span, true) ? this.span[1]! : 1;
      if (longest === T) continue;
      compactSteps(this.xb[k]!, B, T, 0, longest, w);
      len[k] = longest;
    }
    this.inputLen = len;
  }

  /** Decide this batch's cuts (see trim.ts) and compact the cut inputs; whether any input was cut. */
  private cutInputs(B: number, mode: number): boolean {
    const plan = this.trim;
    this.cutLen.fill(-1);
    if (plan === null || !paddingTrimEnabled()) return false;
    const kind = mode === TRAIN ? 0 : 1;
    const sized = this.sizedLen[kind]!;
    let grows = B > this.sizedB[kind]!;
    for (let k = 0; k < sized.length; k++) if (this.inputLen[k]! > sized[k]!) grows = true;
    if (grows) {
      this.sizedB[kind] = Math.max(B, this.sizedB[kind]!);
      for (let k = 0; k < sized.length; k++) sized[k] = Math.max(sized[k]!, this.inputLen[k]!);
      return false;
    }
    let any = false;
    for (let k = 0; k < this.xb.length; k++) {
      const rule = plan.rules[k];
      if (rule === null || rule === undefined) continue;
      if ((mode === TRAIN && plan.noTrain[k] === 1) || (mode !== PREDICT && plan.noLoss[k] === 1)) continue;
      const T = this.inputLen[k]!;
      const w = this.stepWidth[k]!;
      if (!keptSpan(this.xb[k]!, B, T, w, rule, this.span, plan.attentionKeys[k] === 0)) continue;
      let S = this.span[0]!;
      let E = this.span[1]!;
      if (plan.sequenceOutput[k] === 1) {
        // Outputs come back at full length: cut steps copy the last kept one (fit, evaluate: they
        // are masked) or, for predict, the first fully masked step, kept as a sentinel.
        S = 0;
        if (mode === PREDICT && E < T) E++;
      }
      if (S === 0 && E === T) continue;
      compactSteps(this.xb[k]!, B, T, S, E - S, w);
      this.cutStart[k] = S;
      this.cutLen[k] = E - S;
      any = true;
    }
    if (any) this.trimmedBatches++;
    return any;
  }

  /** Pad each output on a cut axis back to its full length (values and mask). */
  private padOutputs(B: number, mode: number): void {
    const plan = this.trim!;
    const ex = this.executor;
    for (let o = 0; o < this.graph.outputs.length; o++) {
      const t = ex.outputTensor(o);
      const a = plan.axis[t]!;
      if (a < 0 || this.cutLen[a]! < 0) continue;
      const T = this.inputLen[a]!;
      const S = this.cutStart[a]!;
      const Tk = this.cutLen[a]!;
      const w = ex.width(t) / Tk;
      this.padOut[o] = ensure(this.padOut[o]!, B * T * w);
      padSteps(this.padOut[o]!, ex.buf[t]!, B, T, S, Tk, w);
      const m = ex.mask[t]!;
      // The plan cuts a sequence output for a loss only where its mask is 0 at the cut steps: a missing mask is a bug in trim.ts.
      if (m === null && mode !== PREDICT) throw new Error(`${this.graph.outputs[o]!.sourceLayer.where}: padding trimming cut this output but it carries no mask (an internal error in models/trim.ts: please report it with the model)`);
      this.padHasMask[o] = m === null ? 0 : 1;
      if (m !== null) {
        this.padMaskBuf[o] = ensure(this.padMaskBuf[o]!, B * T);
        padMask(this.padMaskBuf[o]!, m, B, T, S, Tk);
      }
      this.padded[o] = 1;
    }
  }

  /** The gradient of a padded output, cut like its forward (in place): [B, T, w] → [B, T', w]. */
  private cutGradient(o: number, d: Float32Array, B: number): void {
    const a = this.trim!.axis[this.executor.outputTensor(o)]!;
    const Tk = this.cutLen[a]!;
    compactSteps(d, B, this.inputLen[a]!, this.cutStart[a]!, Tk, this.executor.width(this.executor.outputTensor(o)) / Tk);
  }

  /** Time lengths of the inputs of the current batch (setBatchLengths; cutRagged may shorten them). */
  inputLen: readonly number[] = [];

  /** Output o of the last forward ([B, width]) and its mask (sequence outputs) or null. */
  output(o: number): Float32Array {
    if (this.padded[o] === 1) return this.padOut[o]!;
    return this.executor.buf[this.executor.outputTensor(o)]!;
  }
  outputMask(o: number): Float32Array | null {
    const t = this.executor.outputTensor(o);
    if (this.graph.outputs[o]!.rank !== 3) return null;
    if (this.padded[o] === 1) return this.padHasMask[o] === 1 ? this.padMaskBuf[o]! : null;
    return this.executor.mask[t]!;
  }
  /** Rows (batch × steps) of output o in the last forward (at full length when it was cut). */
  outputRows(o: number): number {
    const t = this.executor.outputTensor(o);
    const ex = this.executor;
    if (this.padded[o] === 1) {
      const a = this.trim!.axis[t]!;
      return (ex.B * (ex.width(t) / this.cutLen[a]!) * this.inputLen[a]!) / this.cols(o);
    }
    return (ex.B * ex.width(t)) / this.cols(o);
  }

  /**
   * Per-row loss weights of output o for the current batch, or null: the gathered
   * sample weights (broadcast over time steps when given per sample), with the output
   * mask folded in as Keras does (masked rows 0, the rest scaled by rows/valid).
   */
  private lossWeights(o: number, B: number, rows: number, swWidth: number, weighted: boolean): Float32Array | null {
    let w: Float32Array | null = null;
    const rowW = this.rowW[o]!;
    if (weighted) {
      const sw = this.swb[o]!;
      const perRow = rows / B;
      if (swWidth === perRow) for (let i = 0; i < rows; i++) rowW[i] = sw[i]!;
      else for (let i = 0; i < rows; i++) rowW[i] = sw[Math.floor(i / perRow)]!;
      w = rowW;
    }
    const mask = this.outputMask(o);
    if (mask !== null) {
      // the loss folds the mask (Keras apply_mask), with its own row mask where it has one (sparse ignoreClass)
      this.outputs[o]!.loss!.maskWeights(mask, this.yb[o]!, rows, rowW, w);
      w = rowW;
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
   * = computeGradients + applyGradients + updateMetrics.
   */
  trainStep(B: number, swWidth: readonly number[], weighted: readonly boolean[]): void {
    this.computeGradients(B, swWidth, weighted);
    this.applyGradients();
    this.updateMetrics();
  }

  /**
   * The gradient half of a step: zero the gradient arena, forward (training mode) over
   * the first B samples of the input buffers, each output's loss against its targets
   * (weights from `swb` where `weighted[o]`) into `outputLoss` and their weighted sum
   * into `stepLoss[0]`, backward. No regularizer terms (applyGradients adds them once
   * per batch). The outputs stay readable (`output(o)`) until the next forward.
   */
  computeGradients(B: number, swWidth: readonly number[], weighted: readonly boolean[]): void {
    this.grads.fill(0);
    this.forwardPass(B, true, TRAIN);
    const ex = this.executor;
    ex.beginBackward();
    let total = 0;
    for (let o = 0; o < this.outputs.length; o++) {
      const spec = this.outputs[o]!;
      const rows = this.outputRows(o);
      this.lastRows[o] = rows;
      if (spec.loss === null) continue;
      const d = this.dOut[o]!;
      spec.loss.computeInto(this.scratch, this.output(o), this.yb[o]!, d, rows, this.cols(o), this.lossWeights(o, B, rows, swWidth[o]!, weighted[o]!));
      const value = this.scratch[0]!;
      this.outputLoss[o] = value;
      total += spec.weight * value;
      if (spec.weight !== 1) {
        const n = rows * this.cols(o);
        const f = spec.weight;
        for (let i = 0; i < n; i++) d[i] = d[i]! * f;
      }
      if (this.padded[o] === 1) this.cutGradient(o, d, B);
      ex.seedOutput(o, d);
    }
    this.stepLoss[0] = total;
    ex.backward();
  }

  /**
   * The update half of a step, on the gradients in the gradient arena: regularization
   * penalties (added to `stepLoss[0]`) and their gradients, one optimizer update,
   * constraints. A step that would make the model non-finite throws a NonFiniteError and
   * leaves the weights and the optimizer state as they were before it: a non-finite loss or
   * gradient is refused before anything is written; an update that overflows (finite
   * gradients, but weights or optimizer state now ±Infinity or NaN, e.g. SGD at a huge
   * learning rate) is undone from a copy taken just before it.
   */
  applyGradients(): void {
    this.refuseNonFinite();
    if (this.regularized.length > 0) {
      this.stepLoss[0] = this.stepLoss[0]! + this.penalty();
      for (let i = 0; i < this.regularized.length; i++) {
        const w = this.regularized[i]!;
        w.regularizer!.addGradient(w.grad, w.value);
      }
    }
    const optimizer = this.optimizer!;
    const slots = this.keepBeforeUpdate(optimizer);
    const iterations = optimizer.steps;
    optimizer.apply(this.params, this.grads);
    for (let i = 0; i < this.constrained.length; i++) {
      const w = this.constrained[i]!;
      w.constraint!.apply(w.value, w.shape);
    }
    // The state slots of the built-in optimizers are running sums or averages of g and g²
    // (a momentum that overflows makes the weights overflow too): with every |g| below
    // 1e15 (Σg² < 1e30) they cannot reach ±Infinity, so only then are they skipped.
    const sq = this.sumSq;
    squaredNorm(this.params, sq, 1);
    let finite = sq[1]! < Infinity;
    for (let k = 0; finite && sq[0]! >= 1e30 && k < slots.length; k++) {
      squaredNorm(slots[k]!, sq, 1);
      finite = sq[1]! < Infinity;
    }
    if (!finite) this.undoUpdate(optimizer, slots, iterations);
  }

  /**
   * Copies of the weight arena and the optimizer's state slots, taken before each update so
   * an update that overflows can be undone exactly (a memcpy of each: a small fraction of a
   * step). Allocated once per arena size, in ordinary memory. Returns the live slots.
   */
  private keepBeforeUpdate(optimizer: Optimizer): Float32Array[] {
    // The slots are the optimizer's own (protected) arrays: read in place, so nothing is allocated per step.
    const slots = optimizer['slots'];
    if (this.before.length !== this.params.length) this.before = new Float32Array(this.params.length);
    this.before.set(this.params);
    for (let k = 0; k < slots.length; k++) {
      const s = slots[k]!;
      if (this.beforeSlots[k]?.length !== s.length) this.beforeSlots[k] = new Float32Array(s.length);
      this.beforeSlots[k]!.set(s);
    }
    this.beforeSlots.length = slots.length;
    return slots;
  }

  /** Put back the weights and optimizer state from before the update and throw, naming the first non-finite value. */
  private undoUpdate(optimizer: Optimizer, slots: readonly Float32Array[], iterations: number): never {
    let what = 'a weight is not finite after the update';
    const bad = firstNonFinite(this.params);
    if (bad >= 0) {
      what = `the update made ${this.describeIndex(bad, show(this.params[bad]))}`;
    } else {
      const names = Object.keys(optimizer.getState().slots);
      for (let k = 0; k < slots.length; k++) {
        const i = firstNonFinite(slots[k]!);
        if (i >= 0) {
          what = `the update made the optimizer's '${names[k] ?? k}' state of ${this.describeIndex(i, show(slots[k]![i]))}`;
          break;
        }
      }
    }
    this.params.set(this.before);
    for (let k = 0; k < slots.length; k++) slots[k]!.set(this.beforeSlots[k]!);
    optimizer.steps = iterations;
    throw new NonFiniteError(what);
  }

  /** "'layer/weight' hold VALUE at index i" for an index into the weight arena. */
  private describeIndex(flat: number, value: string): string {
    const s = this.segments.find((g) => flat >= g.offset && flat < g.offset + g.size);
    return s === undefined ? `value ${flat} of the weight arena hold ${value}` : `'${s.name}' hold ${value} at index ${flat - s.offset}`;
  }

  /** [Σg² of the step's gradients (before regularizers and clipping), scratch]: doubles in an array are never boxed. */
  private readonly sumSq = new Float64Array(2);

  /** The arena and the optimizer slots as they were before the last update (see keepBeforeUpdate). */
  private before = new Float32Array(0);
  private beforeSlots: Float32Array[] = [];

  /**
   * Before an update: a non-finite loss or gradient would write NaN into every weight and the
   * optimizer's moments, silently. Refuse the step instead, naming the first bad weight.
   */
  private refuseNonFinite(): void {
    squaredNorm(this.grads, this.sumSq, 0);
    if (!Number.isFinite(this.stepLoss[0]!) || !(this.sumSq[0]! < Infinity)) this.throwNonFinite();
  }

  /**
   * The cold half of refuseNonFinite, kept apart so the check stays a small function: V8
   * optimises small functions after a few calls, a larger one only after thousands, and
   * until then each double it reads is boxed (about 32 bytes a step).
   */
  private throwNonFinite(): never {
    if (!Number.isFinite(this.stepLoss[0]!)) throw new NonFiniteError(`the loss is ${show(this.stepLoss[0])}`);
    for (const [w, path] of weightNames(this.layers)) {
      const i = firstNonFinite(w.grad);
      if (i >= 0) throw new NonFiniteError(`the gradient of '${path}' holds ${show(w.grad[i])} at index ${i}`);
    }
    throw new NonFiniteError('a gradient is not finite');
  }

  /** Add the last forward's outputs to every metric. */
  updateMetrics(): void {
    for (let o = 0; o < this.outputs.length; o++) {
      const spec = this.outputs[o]!;
      if (spec.metrics.length === 0) continue;
      this.updateOutputMetrics(o, this.output(o), this.yb[o]!, this.lastRows[o]!, this.outputMask(o));
    }
  }

  /** Add a block of output o ([rows, cols], with its mask or null) to its metrics. */
  updateOutputMetrics(o: number, out: Float32Array, y: Float32Array, rows: number, mask: Float32Array | null): void {
    const spec = this.outputs[o]!;
    const sparse = spec.loss?.sparse ?? false;
    const cols = this.cols(o);
    for (let m = 0; m < spec.metrics.length; m++) spec.metrics[m]!.update(out, y, rows, cols, sparse, mask);
  }

  resetMetrics(): void {
    for (const spec of this.outputs) for (const m of spec.metrics) m.reset();
  }

  /** Keras log names: 'loss' and the metrics' own names for one output; '<output>_loss', '<output>_<metric>' with several. */
  logs(loss: number, outputLosses: ArrayLike<number>, prefix: string): Logs {
    const logs: Logs = { [`${prefix}loss`]: loss };
    const multi = this.outputs.length > 1;
    this.outputs.forEach((spec, o) => {
      if (multi && spec.loss !== null) logs[`${prefix}${spec.name}_loss`] = outputLosses[o]!;
      for (const m of spec.metrics) logs[`${prefix}${multi ? `${spec.name}_` : ''}${m.name}`] = m.result();
    });
    return logs;
  }

  /** Copy rows [start, start + B) of a data set into the batch buffers (in order). */
  loadBatch(ds: Dataset, start: number, B: number): void {
    this.setBatchLengths(ds.xLen, ds.ragged);
    for (let k = 0; k < ds.x.length; k++) copyRows(this.xb[k]!, ds.x[k]!.data, start, B, ds.xWidth[k]!);
    for (let o = 0; o < ds.y.length; o++) {
      const y = ds.y[o];
      if (y !== null && y !== undefined) copyRows(this.yb[o]!, y.data, start, B, ds.yWidth[o]!);
      const sw = ds.sw[o];
      if (sw !== null && sw !== undefined) copyRows(this.swb[o]!, sw, start, B, ds.swWidth[o]!);
    }
  }

  /** Loss and metrics over a data set, inference mode; keys prefixed (e.g. 'val_'). */
  evaluateDataset(ds: Dataset, batchSize: number, prefix: string, onBatch?: (step: number, logs: Logs) => void): Logs {
    this.resetMetrics();
    let lossSum = 0;
    const outSums = new Float64Array(this.outputs.length);
    const penalty = this.penalty();
    const steps = Math.ceil(ds.n / batchSize);
    const weighted = ds.sw.map((w) => w !== null);
    for (let step = 0; step < steps; step++) {
      const start = step * batchSize;
      const B = Math.min(batchSize, ds.n - start);
      this.loadBatch(ds, start, B);
      this.evaluateBatch(B, ds.swWidth, weighted, this.batchLoss);
      for (let o = 0; o < this.outputs.length; o++) {
        const spec = this.outputs[o]!;
        if (spec.loss !== null) {
          const v = this.batchLoss[o]!;
          outSums[o] += v * B;
          lossSum += spec.weight * v * B;
        }
        if (spec.metrics.length > 0) this.updateOutputMetrics(o, this.output(o), this.yb[o]!, this.outputRows(o), this.outputMask(o));
      }
      onBatch?.(step, this.logs(lossSum / (start + B) + penalty, outSums.map((v) => v / (start + B)), prefix));
    }
    return this.logs(lossSum / ds.n + penalty, outSums.map((v) => v / ds.n), prefix);
  }

  /** Per output: the loss of the last evaluateBatch (NaN for an output without a loss). */
  readonly batchLoss: Float64Array;

  /**
   * Forward (inference, evaluate's trimming rules) over the first B samples of the batch
   * buffers and each output's loss against its targets into `into[o]` (NaN without a loss);
   * the outputs and masks stay readable until the next forward. evaluateDataset's batch, and
   * a pool worker's share of an evaluate (workers/poolWorker.ts).
   */
  evaluateBatch(B: number, swWidth: readonly number[], weighted: readonly boolean[], into: Float64Array): void {
    this.forwardPass(B, false, EVALUATE);
    for (let o = 0; o < this.outputs.length; o++) {
      const spec = this.outputs[o]!;
      const rows = this.outputRows(o);
      into[o] = spec.loss === null ? NaN : spec.loss.compute(this.output(o), this.yb[o]!, null, rows, this.cols(o), this.lossWeights(o, B, rows, swWidth[o]!, weighted[o]!));
    }
  }

  /**
   * The rows of predict's batches as predict would run them: its length order, or null for
   * row order. The worker pool splits predict by whole batches, each the one a single
   * thread would run (workers/persistent.ts).
   */
  predictOrder(x: readonly Float32Array[], xLen: readonly number[], n: number, batchSize: number): Int32Array | null {
    return lengthOrder(this.trim, x, xLen, this.stepWidth, n, batchSize);
  }

  /** Whether input k's outputs are the same however many padding steps (id 0, at the end) follow its rows (padding trimming is exact for it: trim.ts). */
  paddingInert(k: number): boolean {
    const plan = this.trim;
    return plan !== null && plan.rules[k]?.kind === 'zero' && plan.attentionKeys[k] === 0;
  }

  /**
   * Inference over n samples batch by batch; returns each output's [n, width] values. The
   * ragged inputs are padded per batch (see `ragged`); the batches then keep the call's order.
   */
  predict(x: readonly Float32Array[], xWidth: readonly number[], xLen: readonly number[], n: number, batchSize: number, ragged: readonly number[] = []): Float32Array[] {
    const widths = this.graph.outputs.map((_, o) => this.outputWidth(o, xLen));
    const results = widths.map((w) => new Float32Array(n * w));
    x.forEach((_, k) => {
      if (this.xb[k]!.length < batchSize * xWidth[k]!) this.xb[k] = new Float32Array(batchSize * xWidth[k]!);
    });
    // Batches of similar lengths where padding can be trimmed (trim.ts lengthOrder); the rows go back to their places.
    const order = ragged.length > 0 ? null : lengthOrder(this.trim, x, xLen, this.stepWidth, n, batchSize);
    for (let start = 0; start < n; start += batchSize) {
      const B = Math.min(batchSize, n - start);
      this.setBatchLengths(xLen, ragged);
      for (let k = 0; k < x.length; k++) {
        if (order === null) copyRows(this.xb[k]!, x[k]!, start, B, xWidth[k]!);
        else gatherRows(this.xb[k]!, x[k]!, order, start, B, xWidth[k]!);
      }
      this.forwardPass(B, false, PREDICT);
      for (let o = 0; o < results.length; o++) {
        const w = widths[o]!;
        const out = this.output(o);
        if (order === null) results[o]!.set(out.subarray(0, B * w), start * w);
        else for (let i = 0; i < B; i++) results[o]!.set(out.subarray(i * w, (i + 1) * w), order[start + i]! * w);
      }
    }
    return results;
  }
}

/**
 * out[at] = Σ a[i]² in doubles: NaN or +Infinity exactly when some value is NaN or ±Infinity
 * (a float32 squared cannot overflow a double, nor can a sum of fewer than 2^1000 of them),
 * so one pass both checks and measures. Eight partial sums, so the adds do not wait on each
 * other; written to an array, as a returned double would be boxed (allocated) per call.
 */
export function squaredNorm(a: Float32Array, out: Float64Array, at: number): void {
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  let p4 = 0;
  let p5 = 0;
  let p6 = 0;
  let p7 = 0;
  const n = a.length;
  const n8 = n - (n % 8);
  for (let i = 0; i < n8; i += 8) {
    const a0 = a[i]!;
    const a1 = a[i + 1]!;
    const a2 = a[i + 2]!;
    const a3 = a[i + 3]!;
    const a4 = a[i + 4]!;
    const a5 = a[i + 5]!;
    const a6 = a[i + 6]!;
    const a7 = a[i + 7]!;
    p0 += a0 * a0;
    p1 += a1 * a1;
    p2 += a2 * a2;
    p3 += a3 * a3;
    p4 += a4 * a4;
    p5 += a5 * a5;
    p6 += a6 * a6;
    p7 += a7 * a7;
  }
  for (let i = n8; i < n; i++) p0 += a[i]! * a[i]!;
  out[at] = p0 + p1 + p2 + p3 + p4 + p5 + p6 + p7;
}

/** Index of the first NaN or ±Infinity, or −1. */
function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i;
  return -1;
}

/** Stored names of every weight (layer/weight; wrappers add their inner layer's name), as save writes them. */
export function weightNames(layers: readonly Layer[]): Map<LayerWeight, string> {
  const names = new Map<LayerWeight, string>();
  for (const l of layers) l.weightPaths().forEach((p, i) => names.set(l.weights[i]!, p));
  return names;
}
