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
import { activationBackwardBlock, activationForwardBlock, type ActId } from './activation.js';
import { addBias, biasGrad } from './elementwise.js';
import { addOutputGradient, gatherPrevState, holdMaskedRows, passMaskedRows, startStateGrad, storeStateGrad, wantsInitialGrad, zeroMaskedRows, type StateEnds } from '../recurrent.js';

export function gruForward(
  gemm: GemmFn, // the GEMM of the kernel set this runs in (backend/kernels.ts)
  hs: Float32Array, // [T, B, H]
  pre: Float32Array, // [T, B, 3H] pre-activations (z, r: mx + recurrent part; h: see header)
  gates: Float32Array, // [T, B, 3H] z, r, hh after their activations
  mh: Float32Array, // [T, B, 3H] resetAfter: hPrev·U + b_h; else unused
  rh: Float32Array, // [T, B, H] resetAfter false: r ⊙ hPrev; else unused
  hPrev: Float32Array, // [T, B, H] (dropout applied)
  recurrentKernelT: Float32Array, // [3H, H] scratch
  xs: Float32Array, // [T, B, I] (dropout applied)
  h0: Float32Array, // [B, H]
  kernel: Float32Array, // [I, 3H]
  recurrentKernel: Float32Array, // [H, 3H]
  bias: Float32Array | null, // [2, 3H] (resetAfter) or [3H]
  resetAfter: boolean,
  recurrentMask: Float32Array | null, // [B, H]
  mask: Float32Array | null, // [T, B]
  T: number,
  B: number,
  I: number,
  H: number,
  act: ActId,
  ract: ActId,
): void {
  const G = 3 * H;
  const slab = B * H;
  gemm(false, false, T * B, G, I, xs, 0, I, kernel, 0, G, pre, 0, G, false);
  if (bias !== null) addBias(pre, bias, T * B, G); // the input bias: row 0 when resetAfter
  // The TS GEMM wants the recurrent kernel transposed once per call; with few rows per step
  // (streaming) or another backend it multiplies the kernel as stored.
  const packed = prefersTransposedB(gemm, B);
  if (packed) transposeInto(recurrentKernelT, recurrentKernel, 0, G, H, G);
  for (let s = 0; s < T; s++) {
    const go = s * B * G;
    const so = s * slab;
    gatherPrevState(hPrev, h0, hs, recurrentMask, s, B, H);
    if (resetAfter) {
      recur(gemm, packed, B, H, hPrev, so, recurrentKernel, recurrentKernelT, 0, G, mh, go, false);
      if (bias !== null) addRecurrentBias(mh, go, bias, G, B);
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
      recur(gemm, packed, B, H, hPrev, so, recurrentKernel, recurrentKernelT, 0, 2 * H, pre, go, true);
      activationForwardBlock(ract, gates, pre, go, G, B, 2 * H);
      for (let b = 0; b < B; b++) {
        const g = go + b * G;
        for (let j = 0; j < H; j++) rh[so + b * H + j] = gates[g + H + j]! * hPrev[so + b * H + j]!;
      }
      recur(gemm, packed, B, H, rh, so, recurrentKernel, recurrentKernelT, 2 * H, H, pre, go + 2 * H, true);
    }
    activationForwardBlock(act, gates, pre, go + 2 * H, G, B, H);
    const hp = s === 0 ? h0 : hs;
    const hpo = s === 0 ? 0 : (s - 1) * slab;
    for (let b = 0; b < B; b++) {
      const g = go + b * G;
      for (let j = 0; j < H; j++) {
        const z = gates[g + j]!;
        hs[so + b * H + j] = z * hp[hpo + b * H + j]! + (1 - z) * gates[g + 2 * H + j]!;
      }
    }
    if (mask !== null) holdMaskedRows(hs, h0, mask, s, B, H);
  }
}

/** mh[s, b, :] += b_h (row 1 of the [2, 3H] bias). */
function addRecurrentBias(mh: Float32Array, go: number, bias: Float32Array, G: number, B: number): void {
  for (let b = 0; b < B; b++) {
    const g = go + b * G;
    for (let j = 0; j < G; j++) mh[g + j] = mh[g + j]! + bias[G + j]!;
  }
}

export function gruBackward(
  gemm: GemmFn, // the GEMM of the kernel set this runs in (backend/kernels.ts)
  dxs: Float32Array | null, // [T, B, I] overwritten, or null
  dKernel: Float32Array, // [I, 3H] accumulated
  dRecurrentKernel: Float32Array, // [H, 3H] accumulated
  dBias: Float32Array | null, // [2, 3H] or [3H] accumulated
  dPre: Float32Array, // [T, B, 3H] scratch: gradient of the input-side pre-activations
  dPreH: Float32Array, // [T, B, 3H] scratch (resetAfter): gradient of mh
  dhA: Float32Array, // [B, H] scratch
  dhB: Float32Array, // [B, H] scratch
  dhTmp: Float32Array, // [B, H] scratch
  dOut: Float32Array | null, // [T, B, H] (returnSequences) or [B, H]; null = unused output
  returnSequences: boolean,
  ends: StateEnds | null, // final-state gradient in, initial-state gradient out
  xs: Float32Array,
  hPrev: Float32Array,
  h0: Float32Array,
  hs: Float32Array,
  pre: Float32Array,
  gates: Float32Array,
  mh: Float32Array,
  rh: Float32Array,
  kernel: Float32Array,
  recurrentKernel: Float32Array,
  resetAfter: boolean,
  recurrentMask: Float32Array | null,
  mask: Float32Array | null,
  T: number,
  B: number,
  I: number,
  H: number,
  act: ActId,
  ract: ActId,
): void {
  const G = 3 * H;
  const slab = B * H;
  let dh = dhA;
  let dhNext = dhB;
  startStateGrad(dh, ends?.dhT ?? null, slab);
  const toInitial = wantsInitialGrad(ends);
  for (let s = T - 1; s >= 0; s--) {
    const go = s * B * G;
    const so = s * slab;
    addOutputGradient(dh, dOut, returnSequences, s, T, slab);
    const hp = s === 0 ? h0 : hs;
    const hpo = s === 0 ? 0 : (s - 1) * slab;
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
    if (resetAfter) {
      // pre_h = mx_h + r ⊙ mh_h:  dr = dpre_h ⊙ mh_h,  dmh_h = dpre_h ⊙ r
      for (let b = 0; b < B; b++) {
        const g = go + b * G;
        for (let j = 0; j < H; j++) {
          const d = dPre[g + 2 * H + j]!;
          dPre[g + H + j] = d * mh[g + 2 * H + j]!;
          dPreH[g + 2 * H + j] = d * gates[g + H + j]!;
        }
      }
      activationBackwardBlock(ract, dPre, dPre, pre, gates, go, G, B, 2 * H); // d pre_z, d pre_r
      for (let b = 0; b < B; b++) {
        const g = go + b * G;
        for (let j = 0; j < 2 * H; j++) dPreH[g + j] = dPre[g + j]!;
      }
      if (mask !== null) {
        zeroMaskedRows(dPre, mask, s, B, G);
        zeroMaskedRows(dPreH, mask, s, B, G);
      }
      if (s === 0 && !toInitial) break;
      // mh = hPrev · U + b_h  =>  dhPrev = dmh · Uᵀ
      gemm(false, true, B, H, G, dPreH, go, G, recurrentKernel, 0, G, dhTmp, 0, H, false);
    } else {
      // pre_h = mx_h + rh · U_h, rh = r ⊙ hPrev:  drh = dpre_h · U_hᵀ
      gemm(false, true, B, H, H, dPre, go + 2 * H, G, recurrentKernel, 2 * H, G, dhTmp, 0, H, false);
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
      if (mask !== null) zeroMaskedRows(dPre, mask, s, B, G);
      if (s === 0 && !toInitial) break;
      // pre_zr = … + hPrev · U_zr  =>  dhPrev += dpre_zr · U_zrᵀ
      gemm(false, true, B, H, 2 * H, dPre, go, G, recurrentKernel, 0, G, dhTmp, 0, H, true);
    }
    if (recurrentMask !== null) for (let i = 0; i < slab; i++) dhNext[i] = dhNext[i]! + dhTmp[i]! * recurrentMask[i]!;
    else for (let i = 0; i < slab; i++) dhNext[i] = dhNext[i]! + dhTmp[i]!;
    if (mask !== null) passMaskedRows(dhNext, dh, mask, s, B, H);
    if (s === 0) {
      storeStateGrad(ends!.dh0, dhNext, slab);
      break;
    }
    const t = dh;
    dh = dhNext;
    dhNext = t;
  }
  gemm(true, false, I, G, T * B, xs, 0, I, dPre, 0, G, dKernel, 0, G, true);
  if (resetAfter) {
    gemm(true, false, H, G, T * B, hPrev, 0, H, dPreH, 0, G, dRecurrentKernel, 0, G, true);
    if (dBias !== null) {
      biasGrad(dBias, dPre, T * B, G);
      biasGradRow1(dBias, dPreH, T * B, G);
    }
  } else {
    gemm(true, false, H, 2 * H, T * B, hPrev, 0, H, dPre, 0, G, dRecurrentKernel, 0, G, true);
    gemm(true, false, H, H, T * B, rh, 0, H, dPre, 2 * H, G, dRecurrentKernel, 2 * H, G, true);
    if (dBias !== null) biasGrad(dBias, dPre, T * B, G);
  }
  if (dxs !== null) gemm(false, true, T * B, I, G, dPre, 0, G, kernel, 0, G, dxs, 0, I, false);
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
