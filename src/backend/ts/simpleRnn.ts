/**
 * SimpleRNN kernels: h_s = act(x_s · kernel + hPrev_s · recurrentKernel + bias), over
 * time-major caches [T, B, ·] in processing order (see recurrent.ts for hPrev,
 * masking and dropout).
 *
 * The cuDNN recipe: the input product for all T steps is one GEMM over T·B rows
 * before the loop; the loop does only the recurrent product and the activation.
 * Backward walks s = T−1 … 0 keeping only dh_{s-1} = dPre_s · recurrentKernelᵀ in
 * the loop; dKernel, dRecurrentKernel, dBias and dx are one product each after it.
 */
import { prefersTransposedB, transposeInto, type GemmFn } from './gemm.js';
import { activationBackward, activationForward, type ActId } from './activation.js';
import { addBias, biasGrad } from './elementwise.js';
import { addOutputGradient, gatherPrevState, holdMaskedRows, passMaskedRows, startStateGrad, storeStateGrad, wantsInitialGrad, zeroMaskedRows, type StateEnds } from '../recurrent.js';

export function simpleRnnForward(
  gemm: GemmFn, // the GEMM of the kernel set this runs in (backend/kernels.ts)
  hs: Float32Array, // [T, B, H] h_s for every step
  pre: Float32Array, // [T, B, H] pre-activations
  hPrev: Float32Array, // [T, B, H] the state each step multiplies (dropout applied)
  recurrentKernelT: Float32Array, // [H, H] scratch: recurrentKernelᵀ
  xs: Float32Array, // [T, B, I] inputs (dropout applied)
  h0: Float32Array, // [B, H] initial state
  kernel: Float32Array, // [I, H]
  recurrentKernel: Float32Array, // [H, H]
  bias: Float32Array | null, // [H]
  recurrentMask: Float32Array | null, // [B, H] recurrent dropout
  mask: Float32Array | null, // [T, B] 1 = keep the step
  T: number,
  B: number,
  I: number,
  H: number,
  act: ActId,
): void {
  const slab = B * H;
  gemm(false, false, T * B, H, I, xs, 0, I, kernel, 0, H, pre, 0, H, false);
  if (bias !== null) addBias(pre, bias, T * B, H);
  // The TS GEMM wants the recurrent kernel transposed once per call; with few rows per step
  // (streaming) or another backend it multiplies the kernel as stored.
  const packed = prefersTransposedB(gemm, B);
  if (packed) transposeInto(recurrentKernelT, recurrentKernel, 0, H, H, H);
  for (let s = 0; s < T; s++) {
    gatherPrevState(hPrev, h0, hs, recurrentMask, s, B, H);
    // pre_s += hPrev_s · recurrentKernel
    if (packed) gemm(false, true, B, H, H, hPrev, s * slab, H, recurrentKernelT, 0, H, pre, s * slab, H, true);
    else gemm(false, false, B, H, H, hPrev, s * slab, H, recurrentKernel, 0, H, pre, s * slab, H, true);
    activationForward(act, hs, s * slab, pre, s * slab, B, H);
    if (mask !== null) holdMaskedRows(hs, h0, mask, s, B, H);
  }
}

export function simpleRnnBackward(
  gemm: GemmFn, // the GEMM of the kernel set this runs in (backend/kernels.ts)
  dxs: Float32Array | null, // [T, B, I] overwritten; null when the input needs no gradient
  dKernel: Float32Array, // [I, H] accumulated
  dRecurrentKernel: Float32Array, // [H, H] accumulated
  dBias: Float32Array | null, // [H] accumulated
  dPre: Float32Array, // [T, B, H] scratch
  dhA: Float32Array, // [B, H] scratch
  dhB: Float32Array, // [B, H] scratch
  dOut: Float32Array | null, // [T, B, H] when returnSequences, else [B, H] for the last step; null = unused output
  returnSequences: boolean,
  ends: StateEnds | null, // final-state gradient in, initial-state gradient out
  xs: Float32Array, // [T, B, I]
  hPrev: Float32Array, // [T, B, H]
  pre: Float32Array, // [T, B, H]
  hs: Float32Array, // [T, B, H]
  kernel: Float32Array, // [I, H]
  recurrentKernel: Float32Array, // [H, H]
  recurrentMask: Float32Array | null, // [B, H]
  mask: Float32Array | null, // [T, B]
  T: number,
  B: number,
  I: number,
  H: number,
  act: ActId,
): void {
  const slab = B * H;
  let dh = dhA; // gradient reaching h_s
  let dhNext = dhB; // gradient flowing on to h_{s-1}
  startStateGrad(dh, ends?.dhT ?? null, slab);
  const toInitial = wantsInitialGrad(ends);
  for (let s = T - 1; s >= 0; s--) {
    const o = s * slab;
    addOutputGradient(dh, dOut, returnSequences, s, T, slab);
    // h_s = act(pre_s)  =>  dPre_s = dh ⊙ act'(pre_s)
    activationBackward(act, dPre, o, dh, 0, pre, o, hs, o, B, H);
    if (mask !== null) zeroMaskedRows(dPre, mask, s, B, H);
    if (s === 0 && !toInitial) break;
    // pre_s = … + hPrev_s · recurrentKernel, hPrev_s = h_{s-1} ⊙ m  =>  dh_{s-1} = (dPre_s · recurrentKernelᵀ) ⊙ m
    gemm(false, true, B, H, H, dPre, o, H, recurrentKernel, 0, H, dhNext, 0, H, false);
    if (recurrentMask !== null) for (let i = 0; i < slab; i++) dhNext[i] = dhNext[i]! * recurrentMask[i]!;
    if (mask !== null) passMaskedRows(dhNext, dh, mask, s, B, H);
    if (s === 0) {
      storeStateGrad(ends!.dh0, dhNext, slab);
      break;
    }
    const t = dh;
    dh = dhNext;
    dhNext = t;
  }
  // one product each over all T·B rows
  gemm(true, false, I, H, T * B, xs, 0, I, dPre, 0, H, dKernel, 0, H, true);
  gemm(true, false, H, H, T * B, hPrev, 0, H, dPre, 0, H, dRecurrentKernel, 0, H, true);
  if (dBias !== null) biasGrad(dBias, dPre, T * B, H);
  if (dxs !== null) gemm(false, true, T * B, I, H, dPre, 0, H, kernel, 0, H, dxs, 0, I, false);
}
