/**
 * Padding trimming: which inputs of a graph may be cut, per batch, to the span of time steps
 * where some row is unmasked, with results equal to running every step.
 *
 * Why it is exact. A step masked for every row of the batch changes nothing that the
 * kept steps see: a recurrent layer holds its states there (backend/recurrent.ts), attention
 * gives a masked key weight exp(−1e9 − max) = 0, masked pooling skips it, and per-step layers
 * (Dense, Activation, …) compute each step from that step alone. Backward, the loss gives such
 * a step weight 0, so its gradient is zero and every sum it would join only gains zeros. The
 * outputs at a cut step are then either masked (fit and evaluate fill them with a copy of the
 * last kept step: the loss and the metrics give them weight 0) or, for predict, equal to the
 * output at the first fully masked step (a held state repeats, zeroOutputForMask stays zero),
 * which predict keeps as a sentinel and copies forward.
 *
 * The plan is a static analysis of the graph: each tensor on the time axis of a trimmable input
 * (one read through Embedding(maskZero) or Masking) must reach the outputs only through layers
 * whose behaviour at fully masked steps is known. Anything else (Flatten, Conv1D, a nested
 * model, a stateful layer, a goBackwards sequence, causal attention, dropout that draws per
 * step in training, …) makes that input untrimmable: the fallback is the full computation.
 * A batch holding a row masked at every step is not cut where attention reads the input's steps as
 * keys (it would spread such a row's weights over all of them, as many as the batch has). So that batches have less padding to
 * cut, predict sorts the samples by length (lengthOrder) and fit can bucket them (bucketOrder).
 */
import { Layer } from '../layers/layer.js';
import { Recurrent } from '../layers/recurrent.js';
import { Bidirectional } from '../layers/bidirectional.js';
import { Embedding } from '../layers/embedding.js';
import { Masking } from '../layers/masking.js';
import { Dense } from '../layers/dense.js';
import { Activation } from '../layers/activation.js';
import { LayerNormalization } from '../layers/layerNormalization.js';
import { TrainingNoise } from '../layers/dropout.js';
import { TimeDistributed } from '../layers/timeDistributed.js';
import { ElementwiseMerge, Concatenate } from '../layers/merge.js';
import { Attention, AdditiveAttention } from '../layers/attention.js';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from '../layers/pooling.js';
import type { Graph } from './graph.js';

/** How an input's step mask follows from its values: Embedding maskZero (index ≠ 0) or Masking (some feature ≠ value). */
export type TrimRule = { kind: 'zero' } | { kind: 'value'; value: number };

export interface TrimPlan {
  /** Per graph input: the rule of its step mask, or null (not trimmable). */
  readonly rules: readonly (TrimRule | null)[];
  /** Per tensor: the graph input whose time axis it follows (−1: none, or an untrimmable one). */
  readonly axis: Int32Array;
  /** Per graph input: some output is a sequence on its axis (no leading cut; predict keeps a sentinel step). */
  readonly sequenceOutput: Uint8Array;
  /** Per graph input: not in training (a layer draws random numbers per step there). */
  readonly noTrain: Uint8Array;
  /** Per graph input: not for fit/evaluate (an output on its axis is not masked at the cut steps). */
  readonly noLoss: Uint8Array;
  /** Some layer carries state from batch to batch (predict must then keep the samples' order). */
  readonly stateful: boolean;
  /**
   * Per graph input: attention reads its steps as keys. A row masked at every step then spreads its
   * weights over all of its keys, as many as the batch has, so a batch holding such a row is not
   * cut; elsewhere such a row holds its initial states (or pools to 0) however long the batch.
   */
  readonly attentionKeys: Uint8Array;
}

/** The internal switch tests use to compare with the untrimmed computation. */
let enabled = true;
export function setPaddingTrim(on: boolean): void {
  enabled = on;
}
export function paddingTrimEnabled(): boolean {
  return enabled;
}

/** The trimming plan of a graph, or null when no input can be trimmed. */
export function planTrim(graph: Graph): TrimPlan | null {
  const nT = graph.tensors.length;
  const nIn = graph.inputs.length;
  const axis = new Int32Array(nT).fill(-1);
  const derived = new Uint8Array(nT); // the tensor's mask is 0 at every cut step of its axis
  const bad = new Uint8Array(nIn);
  const noTrain = new Uint8Array(nIn);
  const attentionKeys = new Uint8Array(nIn);
  const rules: (TrimRule | null)[] = graph.inputs.map((t) => {
    const s = t.shape.slice(1);
    if (s.length < 1) return null;
    for (const n of graph.nodes) {
      if (!n.inputs.includes(t)) continue;
      if (n.layer instanceof Embedding && n.layer.maskZero && s.length === 1) return { kind: 'zero' };
      if (n.layer instanceof Masking && s.length === 2) return { kind: 'value', value: n.layer.maskValue };
    }
    return null;
  });
  rules.forEach((r, k) => {
    if (r !== null) axis[k] = k;
  });
  const idx = (t: Parameters<Graph['indexOf']>[0]): number => graph.indexOf(t);

  for (const n of graph.nodes) {
    const ins = n.inputs.map(idx);
    const outs = n.outputs.map(idx);
    const on = ins.map((i) => axis[i]!).filter((a) => a >= 0);
    if (on.length === 0) continue;
    const a = on[0]!;
    const layer = n.layer;
    const markBad = (): void => {
      for (const b of on) bad[b] = 1;
    };
    if (on.some((b) => b !== a) && !(layer instanceof Attention || layer instanceof AdditiveAttention)) {
      markBad();
      continue;
    }
    const x0 = ins[0]!;
    const rank = (i: number): number => graph.tensors[i]!.shape.length - 1;
    if (layer instanceof Embedding) {
      const fromInput = x0 === a && rules[a]!.kind === 'zero';
      axis[outs[0]!] = a;
      derived[outs[0]!] = layer.maskZero && fromInput ? 1 : 0;
    } else if (layer instanceof Masking) {
      const r = rules[a]!;
      axis[outs[0]!] = a;
      derived[outs[0]!] = derived[x0] === 1 || (x0 === a && r.kind === 'value' && Math.fround(r.value) === Math.fround(layer.maskValue)) ? 1 : 0;
    } else if (layer instanceof Recurrent || layer instanceof Bidirectional) {
      const fwd = layer instanceof Bidirectional ? layer.forwardLayer : layer;
      const back = layer instanceof Bidirectional ? layer.backwardLayer : layer;
      // States must hold at the cut steps (a mask that is 0 there); a carried state would see a different batch length anyway.
      if (derived[x0] !== 1 || fwd.stateful || back.stateful || ins.slice(1).some((i) => axis[i]! >= 0)) {
        markBad();
        continue;
      }
      // A goBackwards sequence comes back in processing order: its cut steps would lie at the front.
      if (layer instanceof Recurrent && layer.goBackwards && layer.returnSequences) {
        markBad();
        continue;
      }
      if (fwd.returnSequences) {
        const seqOuts = layer instanceof Bidirectional && layer.mergeMode === null ? 2 : 1;
        for (let j = 0; j < seqOuts; j++) {
          axis[outs[j]!] = a;
          derived[outs[j]!] = 1;
        }
      }
    } else if (layer instanceof Attention || layer instanceof AdditiveAttention) {
      const aq = axis[ins[0]!]!;
      const av = axis[ins[1]!]!;
      const ak = ins.length > 2 ? axis[ins[2]!]! : av;
      const causal = layer.getConfig().causal === true || n.call.args.useCausalMask === true;
      const scores = n.outputs.length > 1 || n.call.args.returnAttentionScores === true;
      // Keys and values share their steps; cut value steps must be masked (weight exactly 0); causal masks compare positions.
      if (ak !== av || causal || (av >= 0 && (derived[ins[1]!] !== 1 || scores))) {
        markBad();
        continue;
      }
      if (layer.dropout > 0) for (const b of on) noTrain[b] = 1;
      if (av >= 0) attentionKeys[av] = 1;
      if (aq >= 0) {
        axis[outs[0]!] = aq;
        derived[outs[0]!] = derived[ins[0]!]!;
        if (outs.length > 1) axis[outs[1]!] = aq;
      }
    } else if (layer instanceof ElementwiseMerge || layer instanceof Concatenate) {
      // Per step when every input on the axis is a [T, F] sequence and the rest are vectors (broadcast along time).
      const ok = ins.every((i) => (axis[i] === a ? rank(i) === 2 : rank(i) <= 1));
      const lastAxis = !(layer instanceof Concatenate) || layer.axis === -1 || layer.axis === 2;
      if (!ok || !lastAxis || (layer instanceof Concatenate && ins.some((i) => axis[i] !== a))) {
        markBad();
        continue;
      }
      axis[outs[0]!] = a;
      // AND of the masks (elementwise: any masked input masks the step); Concatenate keeps a step any input keeps.
      const onAxis = ins.filter((i) => axis[i] === a);
      derived[outs[0]!] = (layer instanceof Concatenate ? onAxis.every((i) => derived[i] === 1) : onAxis.some((i) => derived[i] === 1)) ? 1 : 0;
    } else if (layer instanceof GlobalAveragePooling1D || layer instanceof GlobalMaxPooling1D) {
      // Masked pooling skips cut steps; the output has no time axis.
      if (layer.dataFormat !== 'channelsLast' || derived[x0] !== 1) markBad();
    } else if (isPerStep(layer, rank(x0))) {
      if (n.inputs.length !== 1) {
        markBad();
        continue;
      }
      if (drawsPerStep(layer)) noTrain[a] = 1;
      axis[outs[0]!] = a;
      derived[outs[0]!] = derived[x0]!;
    } else {
      markBad();
    }
  }

  const sequenceOutput = new Uint8Array(nIn);
  const noLoss = new Uint8Array(nIn);
  for (const t of graph.outputs) {
    const i = idx(t);
    const a = axis[i]!;
    if (a < 0) continue;
    sequenceOutput[a] = 1;
    if (derived[i] !== 1) noLoss[a] = 1;
  }
  const finalRules = rules.map((r, k) => (bad[k] === 1 ? null : r));
  if (finalRules.every((r) => r === null)) return null;
  // Tensors of an untrimmable input follow its axis no more.
  for (let i = 0; i < nT; i++) if (axis[i]! >= 0 && finalRules[axis[i]!] === null) axis[i] = -1;
  return { rules: finalRules, axis, sequenceOutput, noTrain, noLoss, stateful: graph.nodes.some((n) => carriesState(n.layer)), attentionKeys };
}

/** A stateful recurrent layer, or a nested model or wrapper holding one. */
function carriesState(layer: Layer): boolean {
  const l = layer as Layer & { stateful?: unknown; layers?: unknown; layer?: unknown; forwardLayer?: unknown; backwardLayer?: unknown };
  if (l.stateful === true) return true;
  const inner = [l.layer, l.forwardLayer, l.backwardLayer, ...(Array.isArray(l.layers) ? l.layers : [])];
  return inner.some((x) => x instanceof Layer && x !== layer && carriesState(x));
}

/**
 * predict's order: the samples sorted by their kept length (ties in order), so each batch holds
 * sequences of similar length and is cut to about their own. A row's outputs do not depend on the
 * other rows of its batch, so only the speed changes. Null where nothing can be cut, where a layer
 * carries state between batches, or for a single batch.
 */
export function lengthOrder(plan: TrimPlan | null, x: readonly Float32Array[], xLen: readonly number[], stepWidth: ArrayLike<number>, n: number, batchSize: number): Int32Array | null {
  if (plan === null || plan.stateful || !enabled || n <= batchSize) return null;
  const lengths = sampleLengths(plan, x, xLen, stepWidth, n);
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  return Int32Array.from(idx);
}

/** A one-input layer that computes each step of a [T, F] sequence from that step alone, passing the mask on. */
function isPerStep(layer: Layer, rank: number): boolean {
  if (rank !== 2) return false;
  if (layer instanceof Dense || layer instanceof Activation || layer instanceof TrainingNoise) return true;
  if (layer instanceof LayerNormalization) return layer.axis === -1 || layer.axis === 2 || (Array.isArray(layer.axis) && layer.axis.length === 1 && (layer.axis[0] === -1 || layer.axis[0] === 2));
  if (layer instanceof TimeDistributed) return layer.layer instanceof Dense || layer.layer instanceof Activation;
  return false;
}

/** Whether the layer draws random numbers per step in training (their positions would move with the length). */
function drawsPerStep(layer: Layer): boolean {
  return layer instanceof TrainingNoise && layer.drawsInTraining;
}

/**
 * Per row b of a [B, T, width] batch: whether step t is unmasked under the rule. Writes the
 * kept span [first, last + 1) into span; returns false when no row has an unmasked step, or when
 * one row has none and emptyRows is false.
 */
export function keptSpan(x: Float32Array, B: number, T: number, width: number, rule: TrimRule, span: Int32Array, emptyRows = false): boolean {
  let lo = T;
  let hi = 0;
  const mv = rule.kind === 'value' ? Math.fround(rule.value) : 0;
  for (let b = 0; b < B; b++) {
    let first = -1;
    let last = -1;
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * width;
      let keep = false;
      if (rule.kind === 'zero') keep = x[o] !== 0;
      // NaN differs from every maskValue, as in Masking.
      else for (let f = 0; f < width && !keep; f++) keep = x[o + f] !== mv;
      if (keep) {
        if (first < 0) first = t;
        last = t;
      }
    }
    if (first < 0) {
      if (emptyRows) continue;
      return false;
    }
    if (first < lo) lo = first;
    if (last + 1 > hi) hi = last + 1;
  }
  if (hi === 0) return false;
  span[0] = lo;
  span[1] = hi;
  return true;
}

/** In place: each row of a [B, T, w] batch keeps steps [S, S + T') at the front: [B, T', w]. */
export function compactSteps(buf: Float32Array, B: number, T: number, S: number, Tk: number, w: number): void {
  for (let b = 0; b < B; b++) {
    const from = (b * T + S) * w;
    const to = b * Tk * w;
    // to ≤ from, so a forward copy never overwrites what it has yet to read.
    for (let i = 0; i < Tk * w; i++) buf[to + i] = buf[from + i]!;
  }
}

/**
 * out [B, T, w] from y [B, T', w] (steps [S, S + T') of the full axis): outside the kept span each
 * row takes its nearest kept step (the first before S, the last after).
 */
export function padSteps(out: Float32Array, y: Float32Array, B: number, T: number, S: number, Tk: number, w: number): void {
  for (let b = 0; b < B; b++) {
    const src = b * Tk * w;
    const dst = b * T * w;
    for (let t = 0; t < T; t++) {
      const s = t < S ? 0 : t >= S + Tk ? Tk - 1 : t - S;
      const o = dst + t * w;
      const i = src + s * w;
      for (let f = 0; f < w; f++) out[o + f] = y[i + f]!;
    }
  }
}

/** The full [B, T] mask from a [B, T'] one over steps [S, S + T'): 0 at every cut step. */
export function padMask(out: Float32Array, m: Float32Array, B: number, T: number, S: number, Tk: number): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) out[b * T + t] = t >= S && t < S + Tk ? m[b * Tk + t - S]! : 0;
  }
}

/** Batches per bucketing chunk: sorting within chunks of this many batches keeps the epoch's order random at a larger scale. */
export const BUCKET_CHUNK_BATCHES = 32;

/**
 * fit's bucketByLength: in place, each run of BUCKET_CHUNK_BATCHES · batchSize samples of an
 * epoch's order is sorted by length (ties keep their order), so each batch holds lines of
 * similar length and trimming cuts more; with shuffle the chunk's full batches are then put in
 * a random order (rng), so long and short batches alternate. Depends only on its inputs (the
 * epoch's order, the lengths, rng's seed): a resumed fit buckets as an unbroken one.
 */
export function bucketOrder(order: Int32Array, lengths: Int32Array, batchSize: number, rng: { shuffle(a: Int32Array): void } | null): void {
  const chunk = BUCKET_CHUNK_BATCHES * batchSize;
  const n = order.length;
  for (let c0 = 0; c0 < n; c0 += chunk) {
    const c1 = Math.min(n, c0 + chunk);
    const part = Array.from(order.subarray(c0, c1)).map((s, i) => ({ s, i, len: lengths[s]! }));
    part.sort((a, b) => a.len - b.len || a.i - b.i);
    const sorted = Int32Array.from(part, (p) => p.s);
    const full = Math.floor((c1 - c0) / batchSize);
    const batches = Int32Array.from({ length: full }, (_, b) => b);
    rng?.shuffle(batches);
    for (let b = 0; b < full; b++) order.set(sorted.subarray(batches[b]! * batchSize, (batches[b]! + 1) * batchSize), c0 + b * batchSize);
    // A last partial batch stays last: the batch boundaries of the epoch do not move.
    order.set(sorted.subarray(full * batchSize), c0 + full * batchSize);
  }
}

/** Per sample of a data set: Σ over the plan's trimmable inputs of its kept span (the steps trimming keeps for it alone). */
export function sampleLengths(plan: TrimPlan, x: readonly Float32Array[], xLen: readonly number[], stepWidth: ArrayLike<number>, n: number): Int32Array {
  const out = new Int32Array(n);
  const span = new Int32Array(2);
  plan.rules.forEach((rule, k) => {
    if (rule === null) return;
    const T = xLen[k]!;
    const w = stepWidth[k]!;
    for (let b = 0; b < n; b++) if (keptSpan(x[k]!.subarray(b * T * w, (b + 1) * T * w), 1, T, w, rule, span)) out[b] += span[1]! - span[0]!;
  });
  return out;
}
