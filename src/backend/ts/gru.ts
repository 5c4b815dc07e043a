/**
 * GRU kernels, Keras gate order z, r, h in every fused [·, 3H] buffer; the final mix
 * is h_s = z ⊙ h_{s-1} + (1 − z) ⊙ hh (z weights the old state, which enters
 * undropped). Two conventions:
 *
 * resetAfter = true (Keras default, cuDNN-compatible; bias [2, 3H] = input row, recurrent row):
 *   mx = x·kernel + b_x,  mh = hPrev·recurrentKernel + b_h
 *   z = ract(mx_z + mh_z), r = ract(mx_r + mh_r), hh = act(mx_h + r ⊙ mh_h)
 * resetAfter = false (bias [3H], input side only):
 *   mx = x·kernel + b
 *   z = ract(mx_z + hPrev·U_z), r = ract(mx_r + hPrev·U_r), hh = act(mx_h + (r ⊙ hPrev)·U_h)
 *
 * Time-major caches in processing order; see simpleRnn.ts and recurrent.ts.
 */
import { prefersTransposedB, transposeInto, type GemmFn } from './gemm.js';
import { activationBackwardBlock, activationForwardBlock } from './activation.js';
import { addBias, biasGrad } from './elementwise.js';
import { backwardThroughTime, forwardThroughTime, zeroMaskedRows, type CellSteps, type RecurrentCache, type RecurrentCacheGrads, type RecurrentDims, type RecurrentMasks, type RecurrentWeights } from '../recurrent.js';

/** GRU's sizes: resetAfter picks the convention (and the bias layout, [2, 3H] or [3H]). */
export interface GruDims extends RecurrentDims {
  resetAfter: boolean;
}

/** GRU's forward caches (G = 3H): gates [T, B, G] z, r, hh after their activations; mh [T, B, G] (resetAfter: hPrev·U + b_h) or rh [T, B, H] (else: r ⊙ hPrev) — the other unused. */
export interface GruCache extends RecurrentCache {
  c0: null;
  cs: null;
  gates: Float32Array;
  mh: Float32Array;
  rh: Float32Array;
}

/** GRU's backward scratch: dPreH [T, B, G] (resetAfter: the gradient of mh; else unused), dhTmp [B, H]. */
export interface GruCacheGrads extends RecurrentCacheGrads {
  dPreH: Float32Array;
  dhTmp: Float32Array;
}

export function gruForward(gemm: GemmFn, c: GruCache, w: RecurrentWeights, m: RecurrentMasks, d: GruDims): void {
  const { T, B, I, H } = d;
  const G = 3 * H;
  gemm(false, false, T * B, G, I, c.xs, 0, I, w.kernel, 0, G, c.pre, 0, G, false);
  if (w.bias !== null) addBias(c.pre, w.bias, T * B, G); // the input bias: row 0 when resetAfter
  // The TS GEMM wants the recurrent kernel transposed once per call; with few rows per step
  // (streaming) or another backend it multiplies the kernel as stored.
  if (prefersTransposedB(gemm, B)) transposeInto(c.recurrentKernelT, w.recurrentKernel, 0, G, H, G);
  forwardThroughTime(gruSteps, gemm, c, w, m, d);
}

export function gruBackward(gemm: GemmFn, dw: RecurrentWeights, g: GruCacheGrads, c: GruCache, w: RecurrentWeights, m: RecurrentMasks, d: GruDims): void {
  const { T, B, I, H } = d;
  const G = 3 * H;
  backwardThroughTime(gruSteps, gemm, g, c, w, m, d);
  const dPre = g.dPre;
  gemm(true, false, I, G, T * B, c.xs, 0, I, dPre, 0, G, dw.kernel, 0, G, true);
  if (d.resetAfter) {
    gemm(true, false, H, G, T * B, c.hPrev, 0, H, g.dPreH, 0, G, dw.recurrentKernel, 0, G, true);
    if (dw.bias !== null) {
      biasGrad(dw.bias, dPre, T * B, G);
      biasGradRow1(dw.bias, g.dPreH, T * B, G);
    }
  } else {
    gemm(true, false, H, 2 * H, T * B, c.hPrev, 0, H, dPre, 0, G, dw.recurrentKernel, 0, G, true);
    gemm(true, false, H, H, T * B, c.rh, 0, H, dPre, 2 * H, G, dw.recurrentKernel, 2 * H, G, true);
    if (dw.bias !== null) biasGrad(dw.bias, dPre, T * B, G);
  }
  if (g.dxs !== null) gemm(false, true, T * B, I, G, dPre, 0, G, w.kernel, 0, G, g.dxs, 0, I, false);
}

/** The GRU step on the TypeScript kernels (the time loops are recurrent.ts's). */
export const gruSteps: CellSteps<GruCache, GruCacheGrads, GruDims> = {
  forward(gemm, c, w, d, s) {
    const { B, H, act, ract } = d;
    const G = 3 * H;
    const go = s * B * G;
    const so = s * B * H;
    const { pre, gates, mh, rh, hPrev } = c;
    const packed = prefersTransposedB(gemm, B);
    if (d.resetAfter) {
      recur(gemm, packed, B, H, hPrev, so, w.recurrentKernel, c.recurrentKernelT, 0, G, mh, go, false);
      if (w.bias !== null) addRecurrentBias(mh, go, w.bias, G, B);
      for (let b = 0; b < B; b++) {
        const g = go + b * G;
        for (let j = 0; j < 2 * H; j++) pre[g + j] = pre[g + j]! + mh[g + j]!;
      }
      activationForwardBlock(ract, gates, pre, go, G, B, 2 * H);
      for (let b = 0; b < B; b++) {
        const g = go + b * G;
        for (let j = 0; j < H; j++) pre[g + 2 * H + j] = pre[g + 2 * H + j]! + gates[g + H + j]! * mh[g + 2 * H + j]!;
      }
    } else {
      recur(gemm, packed, B, H, hPrev, so, w.recurrentKernel, c.recurrentKernelT, 0, 2 * H, pre, go, true);
      activationForwardBlock(ract, gates, pre, go, G, B, 2 * H);
      for (let b = 0; b < B; b++) {
        const g = go + b * G;
        for (let j = 0; j < H; j++) rh[so + b * H + j] = gates[g + H + j]! * hPrev[so + b * H + j]!;
      }
      recur(gemm, packed, B, H, rh, so, w.recurrentKernel, c.recurrentKernelT, 2 * H, H, pre, go + 2 * H, true);
    }
    activationForwardBlock(act, gates, pre, go + 2 * H, G, B, H);
    const hs = c.hs;
    const hp = s === 0 ? c.h0 : hs;
    const hpo = s === 0 ? 0 : so - B * H;
    for (let b = 0; b < B; b++) {
      const g = go + b * G;
      for (let j = 0; j < H; j++) {
        const z = gates[g + j]!;
        hs[so + b * H + j] = z * hp[hpo + b * H + j]! + (1 - z) * gates[g + 2 * H + j]!;
      }
    }
  },
  backward(gemm, gr, c, w, m, d, s, dh, dhNext) {
    const { B, H, act, ract } = d;
    const G = 3 * H;
    const go = s * B * G;
    const so = s * B * H;
    const { pre, gates } = c;
    const { dPre, dPreH, dhTmp } = gr;
    const hp = s === 0 ? c.h0 : c.hs;
    const hpo = s === 0 ? 0 : so - B * H;
    // h = z ⊙ hp + (1 − z) ⊙ hh:  dz = dh ⊙ (hp − hh), dhh = dh ⊙ (1 − z), dhp = dh ⊙ z
    for (let b = 0; b < B; b++) {
      const g = go + b * G;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const z = gates[g + j]!;
        const hh = gates[g + 2 * H + j]!;
        dPre[g + j] = dh[k]! * (hp[hpo + k]! - hh);
        dPre[g + 2 * H + j] = dh[k]! * (1 - z);
        dhNext[k] = dh[k]! * z;
      }
    }
    activationBackwardBlock(act, dPre, dPre, pre, gates, go + 2 * H, G, B, H); // d pre_h
    if (d.resetAfter) {
      // pre_h = mx_h + r ⊙ mh_h:  dr = dpre_h ⊙ mh_h,  dmh_h = dpre_h ⊙ r
      const mh = c.mh;
      for (let b = 0; b < B; b++) {
        const g = go + b * G;
        for (let j = 0; j < H; j++) {
          const x = dPre[g + 2 * H + j]!;
          dPre[g + H + j] = x * mh[g + 2 * H + j]!;
          dPreH[g + 2 * H + j] = x * gates[g + H + j]!;
        }
      }
      activationBackwardBlock(ract, dPre, dPre, pre, gates, go, G, B, 2 * H); // d pre_z, d pre_r
      for (let b = 0; b < B; b++) {
        const g = go + b * G;
        for (let j = 0; j < 2 * H; j++) dPreH[g + j] = dPre[g + j]!;
      }
      if (m.step !== null) {
        zeroMaskedRows(dPre, m.step, s, B, G);
        zeroMaskedRows(dPreH, m.step, s, B, G);
      }
    } else {
      // pre_h = mx_h + rh · U_h, rh = r ⊙ hPrev:  drh = dpre_h · U_hᵀ
      gemm(false, true, B, H, H, dPre, go + 2 * H, G, w.recurrentKernel, 2 * H, G, dhTmp, 0, H, false);
      const hPrev = c.hPrev;
      for (let b = 0; b < B; b++) {
        const g = go + b * G;
        for (let j = 0; j < H; j++) {
          const k = b * H + j;
          const drh = dhTmp[k]!;
          dPre[g + H + j] = drh * hPrev[so + k]!; // dr
          dhTmp[k] = drh * gates[g + H + j]!; // d hPrev via rh
        }
      }
      activationBackwardBlock(ract, dPre, dPre, pre, gates, go, G, B, 2 * H);
      if (m.step !== null) zeroMaskedRows(dPre, m.step, s, B, G);
    }
  },
  recurrent(gemm, gr, _c, w, m, d, s, dhNext) {
    const { B, H } = d;
    const G = 3 * H;
    const go = s * B * G;
    const dhTmp = gr.dhTmp;
    // resetAfter: mh = hPrev · U + b_h  =>  dhPrev = dmh · Uᵀ;
    // else pre_zr = … + hPrev · U_zr  =>  dhPrev += dpre_zr · U_zrᵀ (beside backward's part via rh)
    if (d.resetAfter) gemm(false, true, B, H, G, gr.dPreH, go, G, w.recurrentKernel, 0, G, dhTmp, 0, H, false);
    else gemm(false, true, B, H, 2 * H, gr.dPre, go, G, w.recurrentKernel, 0, G, dhTmp, 0, H, true);
    addRecurrentGradient(dhNext, dhTmp, m.recurrent, B * H);
  },
};

/** dhNext += dhTmp ⊙ recurrent dropout mask (the path through hPrev, beside backward's direct dh ⊙ z). */
export function addRecurrentGradient(dhNext: Float32Array, dhTmp: Float32Array, m: Float32Array | null, slab: number): void {
  if (m !== null) for (let i = 0; i < slab; i++) dhNext[i] = dhNext[i]! + dhTmp[i]! * m[i]!;
  else for (let i = 0; i < slab; i++) dhNext[i] = dhNext[i]! + dhTmp[i]!;
}

/** mh[s, b, :] += b_h (row 1 of the [2, 3H] bias). */
function addRecurrentBias(mh: Float32Array, go: number, bias: Float32Array, G: number, B: number): void {
  for (let b = 0; b < B; b++) {
    const g = go + b * G;
    for (let j = 0; j < G; j++) mh[g + j] = mh[g + j]! + bias[G + j]!;
  }
}

/** dBias[1, :] += column sums of dy (the recurrent bias row of a [2, G] bias). */
function biasGradRow1(dBias: Float32Array, dy: Float32Array, rows: number, G: number): void {
  for (let c = 0; c < G; c++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += dy[r * G + c]!;
    dBias[G + c] = dBias[G + c]! + s;
  }
}

/** out[B, n] (+)= h[B, H] · recurrentKernel[:, col … col+n), from the transposed copy when packed. */
function recur(
  gemm: GemmFn,
  packed: boolean,
  B: number,
  H: number,
  h: Float32Array, // [·, B, H]
  so: number,
  recurrentKernel: Float32Array, // [H, 3H]
  recurrentKernelT: Float32Array, // [3H, H]
  col: number,
  n: number,
  out: Float32Array, // rows of 3H
  oo: number,
  accumulate: boolean,
): void {
  const G = 3 * H;
  if (packed) gemm(false, true, B, n, H, h, so, H, recurrentKernelT, col * H, H, out, oo, G, accumulate);
  else gemm(false, false, B, n, H, h, so, H, recurrentKernel, col, G, out, oo, G, accumulate);
}
