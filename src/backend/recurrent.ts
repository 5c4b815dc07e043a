/**
 * Pieces every recurrent kernel shares, over time-major [T, B, ·] caches in
 * processing order.
 *
 * hPrev[s] holds the state that step s multiplies by the recurrent kernel: h0 for
 * s = 0, else h_{s-1}, times the recurrent-dropout mask when there is one. Keeping it
 * as a [T, B, H] buffer makes dRecurrentKernel one product over all T·B rows.
 *
 * Masking (Keras): at a step where mask[s, b] = 0 every state keeps its previous
 * value, so the output repeats the previous output; backward, that step's gradient
 * flows straight to the previous state and nothing reaches the weights.
 */
import type { ActId } from './ts/activation.js';
import type { GemmFn } from './ts/gemm.js';

/** hPrev[s] = (s = 0 ? h0 : h[s-1]) ⊙ recurrentMask, one [B, H] slab. */
export function gatherPrevState(
  hPrev: Float32Array, // [T, B, H]
  h0: Float32Array, // [B, H]
  hs: Float32Array, // [T, B, H]
  recurrentMask: Float32Array | null, // [B, H]
  s: number,
  B: number,
  H: number,
): void {
  const slab = B * H;
  const src = s === 0 ? h0 : hs;
  const so = s === 0 ? 0 : (s - 1) * slab;
  const d = s * slab;
  if (recurrentMask === null) for (let i = 0; i < slab; i++) hPrev[d + i] = src[so + i]!;
  else for (let i = 0; i < slab; i++) hPrev[d + i] = src[so + i]! * recurrentMask[i]!;
}

/** Where mask[s, b] = 0: state[s, b] = previous state (state0 for s = 0). */
export function holdMaskedRows(
  state: Float32Array, // [T, B, H]
  state0: Float32Array, // [B, H]
  mask: Float32Array, // [T, B]
  s: number,
  B: number,
  H: number,
): void {
  for (let b = 0; b < B; b++) {
    if (mask[s * B + b] !== 0) continue;
    const d = (s * B + b) * H;
    const src = s === 0 ? state0 : state;
    const so = s === 0 ? b * H : ((s - 1) * B + b) * H;
    for (let j = 0; j < H; j++) state[d + j] = src[so + j]!;
  }
}

/** Backward of holdMaskedRows for one state: masked rows of `dNext` get `dHere` whole, and their dPre rows are zeroed. */
export function passMaskedRows(
  dNext: Float32Array, // [B, H] gradient flowing to step s-1 (already holds the unmasked part)
  dHere: Float32Array, // [B, H] gradient that reached step s
  mask: Float32Array, // [T, B]
  s: number,
  B: number,
  H: number,
): void {
  for (let b = 0; b < B; b++) {
    if (mask[s * B + b] !== 0) continue;
    for (let j = 0; j < H; j++) dNext[b * H + j] = dHere[b * H + j]!;
  }
}

/** Zero the dPre rows [s, b, 0..G) of masked steps. */
export function zeroMaskedRows(dPre: Float32Array /* [T, B, G] */, mask: Float32Array, s: number, B: number, G: number): void {
  for (let b = 0; b < B; b++) {
    if (mask[s * B + b] !== 0) continue;
    dPre.fill(0, (s * B + b) * G, (s * B + b + 1) * G);
  }
}

/** dh[b, :] += dOut[s, b, :] (returnSequences) or dOut[b, :] at the last step; nothing when dOut is null (an unused output). */
export function addOutputGradient(dh: Float32Array, dOut: Float32Array | null, returnSequences: boolean, s: number, T: number, slab: number): void {
  if (dOut === null) return;
  if (returnSequences) {
    const o = s * slab;
    for (let i = 0; i < slab; i++) dh[i] = dh[i]! + dOut[o + i]!;
  } else if (s === T - 1) {
    for (let i = 0; i < slab; i++) dh[i] = dh[i]! + dOut[i]!;
  }
}

/** x[i] *= m[i] for a [B, F] mask repeated over T slabs (dropout on x_t, the same mask every step). */
export function applyStepMask(x: Float32Array /* [T, B, F] */, m: Float32Array /* [B, F] */, T: number, slab: number): void {
  for (let s = 0; s < T; s++) {
    const o = s * slab;
    for (let i = 0; i < slab; i++) x[o + i] = x[o + i]! * m[i]!;
  }
}

/**
 * Gradients at the two ends of a sequence, for a layer whose final states are outputs
 * (returnState) or whose initial states are inputs (initialState). In: the final
 * states' gradients dhT, dcT ([B, H]; null = zero). Out: dh0, dc0 ([B, H]) are
 * overwritten with the initial states' gradients (null = not wanted; dc0 is LSTM's).
 * One object per layer, reused: nothing is allocated per step.
 */
export interface StateEnds {
  dhT: Float32Array | null;
  dcT: Float32Array | null;
  dh0: Float32Array | null;
  dc0: Float32Array | null;
}

/** The gradient reaching the last step's state: the final state's own gradient, or zero. */
export function startStateGrad(d: Float32Array, dT: Float32Array | null, slab: number): void {
  if (dT === null) d.fill(0, 0, slab);
  else for (let i = 0; i < slab; i++) d[i] = dT[i]!;
}

/** Whether backward must carry the gradient past step 0 to the initial states. */
export function wantsInitialGrad(ends: StateEnds | null): boolean {
  return ends !== null && ends.dh0 !== null;
}

/** dst[0..slab) = src[0..slab) when dst is wanted (the gradient that left step 0). */
export function storeStateGrad(dst: Float32Array | null, src: Float32Array, slab: number): void {
  if (dst !== null) for (let i = 0; i < slab; i++) dst[i] = src[i]!;
}

/**
 * The named structs the recurrent kernels take (instead of 20–30 positional buffers),
 * grouped as llm.c groups its activations: weights, their gradients, the forward caches,
 * the backward's buffers, the masks and the sizes. A layer builds each once and rewrites
 * its fields per call (field writes: nothing is allocated per step or per call).
 *
 * Contract of every recurrent kernel: outputs first; forward overwrites its outputs;
 * backward overwrites dxs and accumulates (+=) into the weight gradients.
 */

/** Sizes and activations of one call: T steps, B rows, I inputs, H units; ract the gates' activation (LSTM, GRU; SimpleRNN ignores it). */
export interface RecurrentDims {
  T: number;
  B: number;
  I: number;
  H: number;
  act: ActId;
  ract: ActId;
}

/** A recurrent layer's weights — kernel [I, G], recurrentKernel [H, G], bias [G] (GRU resetAfter: [2, G]) — or, the same shapes, their gradients. */
export interface RecurrentWeights {
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array | null;
}

/** recurrent: the recurrent-dropout mask [B, H] on the carried state; step: the [T, B] time-major mask (1 = keep the step). */
export interface RecurrentMasks {
  recurrent: Float32Array | null;
  step: Float32Array | null;
}

/**
 * What forward reads and writes, time-major [T, B, ·] in processing order. In: xs (dropout
 * applied), the initial states h0 (and c0). Out: hs, hPrev (see gatherPrevState), pre (the
 * pre-activations), the second state cs (LSTM's cell states; null for one-state cells).
 * recurrentKernelT: scratch for the transposed recurrent kernel [G, H].
 */
export interface RecurrentCache {
  xs: Float32Array;
  h0: Float32Array;
  c0: Float32Array | null;
  hs: Float32Array;
  cs: Float32Array | null;
  hPrev: Float32Array;
  pre: Float32Array;
  recurrentKernelT: Float32Array;
}

/**
 * What backward reads and writes besides the weight gradients. In: dOut ([T, B, H] when
 * returnSequences, else [B, H]; null = unused output), ends (final-state gradients in,
 * initial-state gradients out). Out: dxs [T, B, I] (overwritten; null = not wanted).
 * Scratch: dPre [T, B, G], dhA / dhB [B, H] (and dcA / dcB for LSTM's cell state; null otherwise).
 */
export interface RecurrentCacheGrads {
  dxs: Float32Array | null;
  dOut: Float32Array | null;
  returnSequences: boolean;
  ends: StateEnds | null;
  dPre: Float32Array;
  dhA: Float32Array;
  dhB: Float32Array;
  dcA: Float32Array | null;
  dcB: Float32Array | null;
}

/**
 * One cell's per-step work on one backend. The time loops below are written once for
 * every cell and both backends; a backend implements these with its own calls (the
 * TypeScript kernels' loops, or WebAssembly calls on resident buffers). `gemm` is the
 * GEMM of the kernel set the loop runs in.
 */
export interface CellSteps<C extends RecurrentCache, G extends RecurrentCacheGrads, D extends RecurrentDims> {
  /** Step s, hPrev[s] gathered and pre[s] holding x·kernel + bias: the recurrent product, the gates and the new state(s) hs[s] (cs[s]). */
  forward(gemm: GemmFn, c: C, w: RecurrentWeights, d: D, s: number): void;
  /**
   * Step s backward: dPre[s] (with its masked rows zeroed) from the gradients dh (dc)
   * reaching the step's state(s), and the direct paths into dhNext (dcNext) where the cell
   * has them. Whatever the recurrent path needs before step 0 may break off goes here too.
   */
  backward(gemm: GemmFn, g: G, c: C, w: RecurrentWeights, m: RecurrentMasks, d: D, s: number, dh: Float32Array, dhNext: Float32Array, dc: Float32Array | null, dcNext: Float32Array | null): void;
  /** The recurrent path back to step s-1: dhNext gets (dPre[s] · recurrentKernelᵀ) ⊙ the recurrent dropout mask (= or +=, as the cell's backward left it). */
  recurrent(gemm: GemmFn, g: G, c: C, w: RecurrentWeights, m: RecurrentMasks, d: D, s: number, dhNext: Float32Array): void;
}

/** The forward time loop: gather the state each step multiplies, the cell's step, hold masked rows. */
export function forwardThroughTime<C extends RecurrentCache, G extends RecurrentCacheGrads, D extends RecurrentDims>(
  cell: CellSteps<C, G, D>,
  gemm: GemmFn,
  c: C,
  w: RecurrentWeights,
  m: RecurrentMasks,
  d: D,
): void {
  const { T, B, H } = d;
  const mask = m.step;
  for (let s = 0; s < T; s++) {
    gatherPrevState(c.hPrev, c.h0, c.hs, m.recurrent, s, B, H);
    cell.forward(gemm, c, w, d, s);
    if (mask !== null) {
      holdMaskedRows(c.hs, c.h0, mask, s, B, H);
      if (c.cs !== null) holdMaskedRows(c.cs, c.c0!, mask, s, B, H);
    }
  }
}

/**
 * The backward time loop (backpropagation through time), leaving dPre [T, B, G] complete
 * for the caller's weight-gradient products: the output and final-state gradients in, the
 * cell's step, the recurrent path, masked steps passing their gradient straight through,
 * the initial-state gradients out.
 */
export function backwardThroughTime<C extends RecurrentCache, G extends RecurrentCacheGrads, D extends RecurrentDims>(
  cell: CellSteps<C, G, D>,
  gemm: GemmFn,
  g: G,
  c: C,
  w: RecurrentWeights,
  m: RecurrentMasks,
  d: D,
): void {
  const { T, B, H } = d;
  const slab = B * H;
  const mask = m.step;
  const ends = g.ends;
  let dh = g.dhA; // gradients reaching h_s (and c_s)
  let dhNext = g.dhB; // … and flowing on to step s-1
  let dc = g.dcA;
  let dcNext = g.dcB;
  startStateGrad(dh, ends?.dhT ?? null, slab);
  if (dc !== null) startStateGrad(dc, ends?.dcT ?? null, slab);
  const toInitial = wantsInitialGrad(ends);
  for (let s = T - 1; s >= 0; s--) {
    addOutputGradient(dh, g.dOut, g.returnSequences, s, T, slab);
    cell.backward(gemm, g, c, w, m, d, s, dh, dhNext, dc, dcNext);
    if (s === 0 && !toInitial) break;
    cell.recurrent(gemm, g, c, w, m, d, s, dhNext);
    if (mask !== null) {
      passMaskedRows(dhNext, dh, mask, s, B, H);
      if (dc !== null) passMaskedRows(dcNext!, dc, mask, s, B, H);
    }
    if (s === 0) {
      storeStateGrad(ends!.dh0, dhNext, slab);
      if (dc !== null) storeStateGrad(ends!.dc0, dcNext!, slab);
      break;
    }
    let t = dh;
    dh = dhNext;
    dhNext = t;
    if (dc !== null) {
      t = dc;
      dc = dcNext!;
      dcNext = t;
    }
  }
}

/** dh[i] *= m[i] (the recurrent dropout on the gradient leaving a step), nothing when there is no mask. */
export function applyRecurrentMask(dh: Float32Array, m: Float32Array | null, slab: number): void {
  if (m !== null) for (let i = 0; i < slab; i++) dh[i] = dh[i]! * m[i]!;
}
